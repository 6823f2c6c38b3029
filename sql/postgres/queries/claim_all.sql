-- $1 worker id, $2 how many. Served by idx_soniq_jobs_claim.
WITH next AS (
    SELECT id FROM soniq_jobs
    WHERE status = 'queued' AND COALESCE(scheduled_at, created_at) <= now()
    ORDER BY priority, COALESCE(scheduled_at, created_at), id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE soniq_jobs j
SET status = 'processing', attempts = j.attempts + 1, worker_id = $1::uuid, updated_at = now()
FROM next
WHERE j.id = next.id
RETURNING j.id, j.job_name, j.args, j.attempts, j.max_attempts, j.queue, j.priority, j.scheduled_at, j.created_at
