-- $1 hours: count only rows moved within the last $1 hours (NULL: every row). by_date always covers the
-- last 7 days by UTC day, whatever $1 says (as Python's get_dead_letter_stats).
WITH w AS (
    SELECT job_name, queue, dead_letter_reason, moved_to_dead_letter_at, resurrection_count
    FROM soniq_dead_letter_jobs
    WHERE $1::float8 IS NULL OR moved_to_dead_letter_at >= now() - make_interval(secs => $1::float8 * 3600)
)
SELECT (SELECT count(*) FROM w)::int AS total,
       (SELECT extract(epoch FROM now() - min(moved_to_dead_letter_at)) / 3600 FROM w)::float8 AS oldest_hours,
       (SELECT count(*) FROM w WHERE COALESCE(resurrection_count, 0) > 0)::int AS resurrected,
       (SELECT COALESCE(json_object_agg(job_name, n), '{}') FROM (SELECT job_name, count(*) n FROM w GROUP BY 1) a) AS by_job_name,
       (SELECT COALESCE(json_object_agg(queue, n), '{}') FROM (SELECT queue, count(*) n FROM w GROUP BY 1) a) AS by_queue,
       (SELECT COALESCE(json_object_agg(dead_letter_reason, n), '{}') FROM (SELECT dead_letter_reason, count(*) n FROM w GROUP BY 1) a) AS by_reason,
       (SELECT COALESCE(json_object_agg(day, n ORDER BY day), '{}')
        FROM (SELECT to_char(moved_to_dead_letter_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) n
              FROM soniq_dead_letter_jobs
              WHERE moved_to_dead_letter_at >= now() - interval '7 days'
              GROUP BY 1) a) AS by_date
