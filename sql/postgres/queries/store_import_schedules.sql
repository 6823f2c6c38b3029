-- soniq migrate-store: copied schedules, as they were: status, next run and run history included
-- ($1: JSON array of rows; args embedded as JSON).
INSERT INTO soniq_recurring_jobs (id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs, status,
                                  created_at, last_run, next_run, run_count, last_job_id, updated_at)
SELECT r.id, r.name, r.schedule_type, r.schedule_value, r.priority, r.queue, r.max_attempts, COALESCE(r.args, '{}'::jsonb), r.status,
       r.created_at, r.last_run, r.next_run, r.run_count, r.last_job_id, r.updated_at
FROM json_to_recordset($1::text::json) AS r(id uuid, name text, schedule_type text, schedule_value text, priority int, queue text,
                                          max_attempts int, args jsonb, status text, created_at timestamptz, last_run timestamptz,
                                          next_run timestamptz, run_count int, last_job_id uuid, updated_at timestamptz)
