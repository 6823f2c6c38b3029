-- Guarded by owner and attempt: a rescued or re-claimed job is never overwritten.
UPDATE soniq_jobs
SET status = 'done', result = :result, expires_at = :expires_at, updated_at = :now
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id AND attempts = :attempts
