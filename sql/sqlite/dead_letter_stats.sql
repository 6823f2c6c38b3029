-- :since (ms): count only rows moved at or after it (NULL: every row). by_date always covers the rows
-- moved since :week_ago (ms), by UTC day, whatever :since says (as Python's get_dead_letter_stats).
WITH w AS (
    SELECT job_name, queue, dead_letter_reason, moved_to_dead_letter_at, resurrection_count
    FROM soniq_dead_letter_jobs
    WHERE :since IS NULL OR moved_to_dead_letter_at >= :since
)
SELECT (SELECT count(*) FROM w) AS total,
       (SELECT min(moved_to_dead_letter_at) FROM w) AS oldest_moved_at,
       (SELECT count(*) FROM w WHERE resurrection_count > 0) AS resurrected,
       (SELECT json_group_object(job_name, n) FROM (SELECT job_name, count(*) AS n FROM w GROUP BY 1)) AS by_job_name,
       (SELECT json_group_object(queue, n) FROM (SELECT queue, count(*) AS n FROM w GROUP BY 1)) AS by_queue,
       (SELECT json_group_object(dead_letter_reason, n) FROM (SELECT dead_letter_reason, count(*) AS n FROM w GROUP BY 1)) AS by_reason,
       (SELECT json_group_object(day, n)
        FROM (SELECT strftime('%Y-%m-%d', moved_to_dead_letter_at / 1000, 'unixepoch') AS day, count(*) AS n
              FROM soniq_dead_letter_jobs
              WHERE moved_to_dead_letter_at >= :week_ago
              GROUP BY 1 ORDER BY 1)) AS by_date
