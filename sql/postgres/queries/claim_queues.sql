-- $1 worker id, $2 how many, $3 JSON array of queue names. Served by idx_soniq_jobs_claim_queue.
WITH next AS (
    SELECT id FROM soniq_jobs
    WHERE status = 'queued'
      AND queue IN (SELECT json_array_elements_text($3::text::json))
      AND COALESCE(scheduled_at, created_at) <= now()
    ORDER BY priority, COALESCE(scheduled_at, created_at), id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
-- = ANY(ARRAY(...)) keeps the plan on primary-key lookups; a join can turn into a scan of the table.
UPDATE soniq_jobs j
SET status = 'processing', attempts = j.attempts + 1, worker_id = $1::uuid, updated_at = now()
WHERE j.id = ANY (ARRAY(SELECT id FROM next))
RETURNING j.id, j.job_name, j.args, j.attempts, j.max_attempts, j.queue, j.priority, j.scheduled_at, j.created_at
