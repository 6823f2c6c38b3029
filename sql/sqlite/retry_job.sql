-- One retried job (rows from retry_select.sql, one statement each, in id order, same transaction).
-- A NULL :scheduled_at (no delay) requeues the job at its original place (run_at = created_at).
-- Dedup claims are handled as in requeue_job.sql: a twin enqueued while the job ran keeps its claim.
UPDATE soniq_jobs
SET status = 'queued', last_error = :error, worker_id = NULL, updated_at = :now,
    scheduled_at = :scheduled_at, run_at = COALESCE(:scheduled_at, created_at),
    unique_job = (unique_job = 1 AND :first_unique = 1
                  AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.unique_job = 1
                                  AND q.job_name = soniq_jobs.job_name AND q.args_hash = soniq_jobs.args_hash)),
    dedup_key = CASE WHEN :first_dedup = 1
                      AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.dedup_key = soniq_jobs.dedup_key)
                     THEN dedup_key END
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id AND attempts = :attempts
