-- :ids is a JSON array. Claimed-but-unfinished jobs go back, attempts kept.
UPDATE soniq_jobs SET status = 'queued', worker_id = NULL, updated_at = :now
WHERE id IN (SELECT value FROM json_each(:ids)) AND status = 'processing' AND worker_id = :worker_id
