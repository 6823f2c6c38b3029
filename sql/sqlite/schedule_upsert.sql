-- Re-adding a name updates it in place; status and run history are kept, and so is next_run
-- while the schedule itself is unchanged.
INSERT INTO soniq_recurring_jobs (id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs,
                                  status, created_at, next_run, run_count, updated_at)
VALUES (:id, :name, :schedule_type, :schedule_value, :priority, :queue, :max_attempts, :args, 'active', :now, :next_run, 0, :now)
ON CONFLICT (job_name) DO UPDATE SET
    schedule_type = excluded.schedule_type, schedule_value = excluded.schedule_value, priority = excluded.priority,
    queue = excluded.queue, max_attempts = excluded.max_attempts, job_kwargs = excluded.job_kwargs,
    next_run = CASE
        WHEN soniq_recurring_jobs.schedule_type = excluded.schedule_type
         AND soniq_recurring_jobs.schedule_value = excluded.schedule_value
         AND soniq_recurring_jobs.next_run IS NOT NULL
        THEN soniq_recurring_jobs.next_run ELSE excluded.next_run END,
    updated_at = excluded.updated_at
RETURNING id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs, status,
       created_at, updated_at, last_run, next_run, run_count, last_job_id
