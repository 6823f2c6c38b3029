-- A restarted process with the same (hostname, pid) takes over its predecessor's row: requeue its jobs first.
UPDATE soniq_jobs SET status = 'queued', worker_id = NULL, updated_at = :now
WHERE status = 'processing' AND worker_id IN (SELECT id FROM soniq_workers WHERE hostname = :hostname AND pid = :pid)
