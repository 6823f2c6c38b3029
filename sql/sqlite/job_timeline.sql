-- Dashboard timeline. :since (ms), :bucket_ms (bucket width, integer ms). One row per bucket with any
-- activity, oldest first: jobs created, jobs done (by updated_at), jobs dead-lettered. Only stored rows count.
WITH events AS (
    SELECT created_at AS at, 1 AS enqueued, 0 AS completed, 0 AS dead_lettered
    FROM soniq_jobs WHERE created_at >= :since
    UNION ALL
    SELECT updated_at, 0, 1, 0
    FROM soniq_jobs WHERE status = 'done' AND updated_at >= :since
    UNION ALL
    SELECT original_created_at, 1, 0, 0
    FROM soniq_dead_letter_jobs WHERE original_created_at >= :since
    UNION ALL
    SELECT moved_to_dead_letter_at, 0, 0, 1
    FROM soniq_dead_letter_jobs WHERE moved_to_dead_letter_at >= :since
)
SELECT (at - :since) / :bucket_ms AS bucket,
       sum(enqueued) AS enqueued,
       sum(completed) AS completed,
       sum(dead_lettered) AS dead_lettered
FROM events
GROUP BY 1
ORDER BY 1
