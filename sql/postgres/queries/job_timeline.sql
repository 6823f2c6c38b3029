-- Dashboard timeline. $1 since (timestamptz), $2 bucket width in seconds. One row per bucket with any
-- activity (bucket = whole widths since $1), oldest first: jobs created, jobs done (by updated_at) and
-- jobs dead-lettered (by moved_to_dead_letter_at). Only rows still stored count.
WITH events AS (
    SELECT created_at AS at, 1 AS enqueued, 0 AS completed, 0 AS dead_lettered
    FROM soniq_jobs WHERE created_at >= $1::timestamptz
    UNION ALL
    SELECT updated_at, 0, 1, 0
    FROM soniq_jobs WHERE status = 'done' AND updated_at >= $1::timestamptz
    UNION ALL
    SELECT original_created_at, 1, 0, 0
    FROM soniq_dead_letter_jobs WHERE original_created_at >= $1::timestamptz
    UNION ALL
    SELECT moved_to_dead_letter_at, 0, 0, 1
    FROM soniq_dead_letter_jobs WHERE moved_to_dead_letter_at >= $1::timestamptz
)
SELECT floor(extract(epoch FROM at - $1::timestamptz) / $2::float8)::int AS bucket,
       sum(enqueued)::int AS enqueued,
       sum(completed)::int AS completed,
       sum(dead_lettered)::int AS dead_lettered
FROM events
GROUP BY 1
ORDER BY 1
