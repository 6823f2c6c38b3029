-- Several queues, :queues a JSON array. SQLite walks idx_soniq_jobs_claim in claim order and filters
-- on queue, which stops after :limit matches; seeking each queue's index would need a sort of every
-- queued row of those queues instead.
UPDATE soniq_jobs
SET status = 'processing', attempts = attempts + 1, worker_id = :worker_id, updated_at = :now
WHERE id IN (
    SELECT id FROM soniq_jobs
    WHERE status = 'queued' AND queue IN (SELECT value FROM json_each(:queues)) AND run_at <= :now
    ORDER BY priority, run_at, id
    LIMIT :limit
)
RETURNING id, job_name, args, attempts, max_attempts, queue, priority, scheduled_at, created_at
