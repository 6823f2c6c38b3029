-- Processing jobs owned by a stopped worker, or by nobody (no id, or a worker row that is gone) for
-- longer than the timeout, go back to queued: this selects them, in id order, and requeue_job.sql
-- requeues each in the same transaction (first_unique / first_dedup as in nack_jobs.sql).
SELECT id, worker_id, attempts,
       row_number() OVER (PARTITION BY job_name, args_hash, unique_job ORDER BY id) = 1 AS first_unique,
       row_number() OVER (PARTITION BY dedup_key ORDER BY id) = 1 AS first_dedup
FROM soniq_jobs
WHERE status = 'processing' AND (
    worker_id IN (SELECT id FROM soniq_workers WHERE status = 'stopped')
    OR (updated_at < :cutoff
        AND (worker_id IS NULL OR NOT EXISTS (SELECT 1 FROM soniq_workers w WHERE w.id = soniq_jobs.worker_id)))
)
ORDER BY id
