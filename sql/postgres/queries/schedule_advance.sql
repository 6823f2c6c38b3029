-- Compare-and-swap on next_run: only the scheduler that read $2 advances it (millisecond tolerance,
-- since JavaScript dates carry milliseconds and Postgres microseconds).
UPDATE soniq_recurring_jobs
SET next_run = $3::timestamptz, last_run = now(), run_count = run_count + 1, last_job_id = $4::uuid, updated_at = now()
WHERE job_name = $1 AND status = 'active' AND next_run IS NOT NULL
  AND abs(extract(epoch FROM next_run - $2::timestamptz)) < 0.001
