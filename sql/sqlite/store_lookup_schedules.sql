-- soniq migrate-store: schedules named in :names (JSON array).
SELECT id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs AS args_json, status,
       created_at, updated_at, last_run, next_run, run_count, last_job_id
FROM soniq_recurring_jobs
WHERE job_name IN (SELECT value FROM json_each(:names))
