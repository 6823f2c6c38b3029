-- soniq migrate-store: every schedule with every column, by name.
SELECT id::text AS id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs::text AS args_json,
       status, COALESCE(created_at, now()) AS created_at, COALESCE(updated_at, created_at, now()) AS updated_at,
       last_run, next_run, run_count, last_job_id::text AS last_job_id
FROM soniq_recurring_jobs
ORDER BY job_name
