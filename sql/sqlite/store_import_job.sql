-- soniq migrate-store: one copied queued job, as it was (json() stores the args compact).
INSERT INTO soniq_jobs (id, job_name, args, args_hash, status, attempts, max_attempts, queue, priority, unique_job, dedup_key,
                        scheduled_at, last_error, producer_id, created_at, updated_at, run_at)
VALUES (:id, :job_name, json(:args), :args_hash, 'queued', :attempts, :max_attempts, :queue, :priority, :unique_job, :dedup_key,
        :scheduled_at, :last_error, :producer_id, :created_at, :updated_at, COALESCE(:scheduled_at, :created_at))
