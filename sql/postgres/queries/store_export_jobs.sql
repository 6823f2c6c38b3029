-- soniq migrate-store: queued jobs with every column a copy keeps, in id order, after $1 (NULL: from the
-- start), at most $2. JSON as text (exact numbers); NULLs in Python-written rows get the column defaults.
SELECT id::text AS id, job_name, args::text AS args_json, args_hash, status, COALESCE(attempts, 0) AS attempts,
       COALESCE(max_attempts, 3) AS max_attempts, COALESCE(queue, 'default') AS queue, COALESCE(priority, 100) AS priority,
       COALESCE(unique_job, FALSE) AS unique_job, dedup_key, scheduled_at, last_error, producer_id,
       COALESCE(created_at, now()) AS created_at, COALESCE(updated_at, created_at, now()) AS updated_at
FROM soniq_jobs
WHERE status = 'queued' AND ($1::uuid IS NULL OR id > $1::uuid)
ORDER BY id
LIMIT $2
