-- Processing jobs owned by a stopped worker, or by nobody (no id, or a worker row that is gone) for
-- longer than the timeout, go back to queued.
UPDATE soniq_jobs SET status = 'queued', worker_id = NULL, updated_at = :now
WHERE status = 'processing' AND (
    worker_id IN (SELECT id FROM soniq_workers WHERE status = 'stopped')
    OR (updated_at < :cutoff
        AND (worker_id IS NULL OR NOT EXISTS (SELECT 1 FROM soniq_workers w WHERE w.id = soniq_jobs.worker_id)))
)
