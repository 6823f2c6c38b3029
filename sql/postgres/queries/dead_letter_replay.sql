-- $1 dead-letter id, $2 new job id, $3 reset attempts, $4 max attempts, $5 priority, $6 queue (NULL = keep).
-- The dead-letter row stays, with its resurrection count bumped; a fresh queued job is minted from it.
WITH dl AS (
    UPDATE soniq_dead_letter_jobs
    SET resurrection_count = COALESCE(resurrection_count, 0) + 1, last_resurrection_at = now()
    WHERE id = $1::uuid
    RETURNING job_name, args, queue, priority, max_attempts, attempts
)
INSERT INTO soniq_jobs (id, job_name, args, status, attempts, max_attempts, queue, priority, created_at, updated_at)
SELECT $2::uuid, job_name, args, 'queued', CASE WHEN $3::boolean THEN 0 ELSE attempts END,
       COALESCE($4::int, max_attempts), COALESCE($6::text, queue), COALESCE($5::int, priority), now(), now()
FROM dl
RETURNING id, queue
