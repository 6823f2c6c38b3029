-- Replay, first half: a fresh queued job minted from the row. NULL options keep the row's values.
INSERT INTO soniq_jobs (id, job_name, args, status, attempts, max_attempts, queue, priority, unique_job,
                        created_at, updated_at, run_at)
SELECT :new_id, job_name, args, 'queued', CASE WHEN :reset_attempts THEN 0 ELSE attempts END,
       COALESCE(:max_attempts, max_attempts), COALESCE(:queue, queue), COALESCE(:priority, priority), 0, :now, :now, :now
FROM soniq_dead_letter_jobs WHERE id = :id
RETURNING id, queue
