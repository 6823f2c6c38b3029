-- Compare-and-swap on next_run: only the scheduler that read :expected advances it. Both sides are
-- integer milliseconds, so "within 1 ms" (the Postgres tolerance) means equal.
UPDATE soniq_recurring_jobs
SET next_run = :next_run, last_run = :now, run_count = run_count + 1, last_job_id = :job_id, updated_at = :now
WHERE job_name = :name AND status = 'active' AND next_run IS NOT NULL AND abs(next_run - :expected) < 1
