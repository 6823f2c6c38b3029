-- One unique job: a queued row with the same (job_name, args_hash) wins; its id is returned.
INSERT INTO soniq_jobs (id, job_name, args, args_hash, status, attempts, max_attempts, queue, priority, unique_job,
                        dedup_key, scheduled_at, producer_id, created_at, updated_at, run_at)
VALUES (:id, :job_name, :args, :args_hash, 'queued', 0, :max_attempts, :queue, :priority, 1,
        NULL, :scheduled_at, :producer_id, :now, :now, COALESCE(:scheduled_at, :now))
ON CONFLICT (job_name, args_hash) WHERE status = 'queued' AND unique_job = 1
DO UPDATE SET unique_job = excluded.unique_job
RETURNING id
