-- One job with a dedup key: a queued row with the same key wins; its id is returned.
INSERT INTO soniq_jobs (id, job_name, args, args_hash, status, attempts, max_attempts, queue, priority, unique_job,
                        dedup_key, scheduled_at, producer_id, created_at, updated_at, run_at)
VALUES (:id, :job_name, :args, NULL, 'queued', 0, :max_attempts, :queue, :priority, 0,
        :dedup_key, :scheduled_at, :producer_id, :now, :now, COALESCE(:scheduled_at, :now))
ON CONFLICT (dedup_key) WHERE status = 'queued' AND dedup_key IS NOT NULL
DO UPDATE SET dedup_key = excluded.dedup_key
RETURNING id
