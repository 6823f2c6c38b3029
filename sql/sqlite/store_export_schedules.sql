-- soniq migrate-store: every schedule with every column, by name.
SELECT id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs AS args_json, status,
       created_at, updated_at, last_run, next_run, run_count, last_job_id
FROM soniq_recurring_jobs
ORDER BY job_name
