-- Re-adding a name updates it in place; status and run history are kept.
INSERT INTO soniq_recurring_jobs (id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs,
                                  status, created_at, next_run, run_count, updated_at)
VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::text::jsonb, 'active', now(), $9::timestamptz, 0, now())
ON CONFLICT (job_name) DO UPDATE SET
    schedule_type = EXCLUDED.schedule_type, schedule_value = EXCLUDED.schedule_value, priority = EXCLUDED.priority,
    queue = EXCLUDED.queue, max_attempts = EXCLUDED.max_attempts, job_kwargs = EXCLUDED.job_kwargs,
    next_run = CASE
        WHEN soniq_recurring_jobs.schedule_type = EXCLUDED.schedule_type
         AND soniq_recurring_jobs.schedule_value = EXCLUDED.schedule_value
         AND soniq_recurring_jobs.next_run IS NOT NULL
        THEN soniq_recurring_jobs.next_run ELSE EXCLUDED.next_run END,
    updated_at = now()
RETURNING id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs, status,
          created_at, updated_at, last_run, next_run, run_count, last_job_id
