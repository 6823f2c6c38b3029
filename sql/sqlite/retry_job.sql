-- A NULL :scheduled_at (no delay) requeues the job at its original place (run_at = created_at).
UPDATE soniq_jobs
SET status = 'queued', last_error = :error, worker_id = NULL, updated_at = :now,
    scheduled_at = :scheduled_at, run_at = COALESCE(:scheduled_at, created_at)
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id AND attempts = :attempts
