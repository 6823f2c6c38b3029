SELECT id, job_name, args, status, attempts, max_attempts, queue, priority, unique_job, dedup_key, scheduled_at, expires_at,
       last_error, result, producer_id, worker_id, created_at, updated_at
FROM soniq_jobs WHERE id = :id
