-- One queue (the common worker setup): served by idx_soniq_jobs_claim_queue (queue, status, priority, run_at, id),
-- walked in claim order, so the claim stops after :limit rows however long the backlog.
UPDATE soniq_jobs
SET status = 'processing', attempts = attempts + 1, worker_id = :worker_id, updated_at = :now
WHERE id IN (
    SELECT id FROM soniq_jobs
    WHERE status = 'queued' AND queue = :queue AND run_at <= :now
    ORDER BY priority, run_at, id
    LIMIT :limit
)
RETURNING id, job_name, args, attempts, max_attempts, queue, priority, scheduled_at, created_at
