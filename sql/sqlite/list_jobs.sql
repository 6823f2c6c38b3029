-- :queue, :status, :job_name are NULL for "any". Newest first.
SELECT id, job_name, args, status, attempts, max_attempts, queue, priority, unique_job, dedup_key, scheduled_at, expires_at,
       last_error, result, producer_id, worker_id, created_at, updated_at
FROM soniq_jobs
WHERE (:queue IS NULL OR queue = :queue)
  AND (:status IS NULL OR status = :status)
  AND (:job_name IS NULL OR job_name = :job_name)
ORDER BY created_at DESC, id DESC
LIMIT :limit OFFSET :offset
