-- First half of the move to the dead-letter table (same transaction as dead_letter_put.sql).
DELETE FROM soniq_jobs
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id AND attempts = :attempts
RETURNING id, job_name, args, queue, priority, max_attempts, created_at
