-- $1 queue, $2 status, $3 job name (each NULL = any), $4 limit, $5 offset. Newest first.
SELECT id, job_name, args, status, attempts, max_attempts, queue, priority, unique_job, dedup_key, scheduled_at, expires_at,
       last_error, result, producer_id, worker_id, created_at, updated_at
FROM soniq_jobs
WHERE ($1::text IS NULL OR queue = $1::text)
  AND ($2::text IS NULL OR status = $2::text)
  AND ($3::text IS NULL OR job_name = $3::text)
ORDER BY created_at DESC, id DESC
LIMIT $4 OFFSET $5
