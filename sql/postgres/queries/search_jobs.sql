-- Dashboard job search. $1 queue, $2 status, $3 job name (each NULL = any), $4 search text (NULL = any):
-- a case-insensitive substring of the job name, the last error or the args JSON, or a prefix of the id.
-- $5 limit, $6 offset. Newest first. Always returns at least one row: `total` counts every match;
-- when the page is empty the only row has `id` NULL.
WITH matched AS (
    SELECT id, job_name, args, status, attempts, max_attempts, queue, priority, unique_job, dedup_key, scheduled_at, expires_at,
           last_error, result, producer_id, worker_id, created_at, updated_at
    FROM soniq_jobs
    WHERE ($1::text IS NULL OR queue = $1::text)
      AND ($2::text IS NULL OR status = $2::text)
      AND ($3::text IS NULL OR job_name = $3::text)
      AND ($4::text IS NULL
           OR strpos(lower(job_name), lower($4::text)) > 0
           OR strpos(lower(COALESCE(last_error, '')), lower($4::text)) > 0
           OR strpos(lower(args::text), lower($4::text)) > 0
           OR strpos(id::text, lower($4::text)) = 1)
), page AS (
    SELECT * FROM matched ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6
)
SELECT t.total, p.*
FROM (SELECT count(*)::int AS total FROM matched) t
LEFT JOIN page p ON true
ORDER BY p.created_at DESC, p.id DESC
