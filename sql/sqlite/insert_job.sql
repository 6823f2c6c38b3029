-- Plain insert (no dedup): one row per call, batches run in one transaction.
INSERT INTO soniq_jobs (id, job_name, args, args_hash, status, attempts, max_attempts, queue, priority, unique_job,
                        dedup_key, scheduled_at, producer_id, created_at, updated_at, run_at)
VALUES (:id, :job_name, :args, :args_hash, 'queued', 0, :max_attempts, :queue, :priority, :unique_job,
        :dedup_key, :scheduled_at, :producer_id, :now, :now, COALESCE(:scheduled_at, :now))
