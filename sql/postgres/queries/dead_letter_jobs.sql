-- $1 worker id, $2 JSON [{id, attempts, error, reason, record_attempts}].
-- The row leaves soniq_jobs and enters soniq_dead_letter_jobs with the same id, atomically.
WITH d AS (
    SELECT * FROM json_to_recordset($2::text::json) AS d(id uuid, attempts int, error text, reason text, record_attempts int)
), moved AS (
    DELETE FROM soniq_jobs j USING d
    WHERE j.id = d.id AND j.status = 'processing' AND j.worker_id = $1::uuid AND j.attempts = d.attempts
    RETURNING j.id, j.job_name, j.args, j.queue, j.priority, j.max_attempts, j.created_at, d.error, d.reason, d.record_attempts
)
INSERT INTO soniq_dead_letter_jobs (id, job_name, args, queue, priority, max_attempts, attempts, last_error,
                                    dead_letter_reason, original_created_at, moved_to_dead_letter_at)
SELECT id, job_name, args, COALESCE(queue, 'default'), COALESCE(priority, 100), COALESCE(max_attempts, 1), record_attempts, error,
       reason, COALESCE(created_at, now()), now()
FROM moved
ON CONFLICT (id) DO UPDATE SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error,
    dead_letter_reason = EXCLUDED.dead_letter_reason, moved_to_dead_letter_at = EXCLUDED.moved_to_dead_letter_at
