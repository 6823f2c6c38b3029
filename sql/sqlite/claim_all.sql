-- Runs inside BEGIN IMMEDIATE: one writer at a time, so the selected rows cannot be claimed twice.
-- Served by idx_soniq_jobs_claim (status, priority, run_at, id).
UPDATE soniq_jobs
SET status = 'processing', attempts = attempts + 1, worker_id = :worker_id, updated_at = :now
WHERE id IN (
    SELECT id FROM soniq_jobs
    WHERE status = 'queued' AND run_at <= :now
    ORDER BY priority, run_at, id
    LIMIT :limit
)
RETURNING id, job_name, args, attempts, max_attempts, queue, priority, scheduled_at, created_at
