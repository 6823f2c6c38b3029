-- soniq migrate-store: queued jobs with every column a copy keeps, in id order, after :after (NULL: from the start), at most :limit.
SELECT id, job_name, args AS args_json, args_hash, status, attempts, max_attempts, queue, priority, unique_job, dedup_key,
       scheduled_at, last_error, producer_id, created_at, updated_at
FROM soniq_jobs
WHERE status = 'queued' AND (:after IS NULL OR id > :after)
ORDER BY id
LIMIT :limit
