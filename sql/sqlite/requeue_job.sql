-- One processing job back to queued with no owner, attempts kept (retry, nack, rescue, worker
-- takeover), only while still owned by :owner at :attempts (as its select saw it); :refund = 1 (a
-- snooze) gives the attempt back. A retry
-- (:retry = 1) also sets last_error and scheduled_at (NULL = no delay: the job keeps its original
-- place, run_at = created_at); the others keep both.
-- Multi-row requeues select their rows first (nack_jobs.sql, rescue_stale_jobs.sql,
-- register_worker_requeue.sql, all in id order) and run this once per row in the same transaction,
-- so each NOT EXISTS sees the rows requeued before it. As in Postgres' soniq_requeue() (migration 0052), a
-- unique/dedup job whose twin was enqueued while it ran gives up its dedup claim instead of colliding
-- with the twin's partial unique index (both run; nothing is lost), and so does every row but the
-- first (lowest id) of one requeue under the same key (:first_unique / :first_dedup, from the select).
UPDATE soniq_jobs
SET status = 'queued', worker_id = NULL, updated_at = :now,
    attempts = CASE WHEN :refund = 1 THEN max(attempts - 1, 0) ELSE attempts END,
    last_error = CASE WHEN :retry = 1 THEN :error ELSE last_error END,
    scheduled_at = CASE WHEN :retry = 1 THEN :scheduled_at ELSE scheduled_at END,
    run_at = CASE WHEN :retry = 1 THEN COALESCE(:scheduled_at, created_at) ELSE run_at END,
    unique_job = (unique_job = 1 AND :first_unique = 1
                  AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.unique_job = 1
                                  AND q.job_name = soniq_jobs.job_name AND q.args_hash = soniq_jobs.args_hash)),
    dedup_key = CASE WHEN :first_dedup = 1
                      AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.dedup_key = soniq_jobs.dedup_key)
                     THEN dedup_key END
WHERE id = :id AND status = 'processing' AND worker_id IS :owner AND attempts IS :attempts
