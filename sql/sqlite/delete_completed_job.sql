-- result_ttl = 0: a finished job leaves the table at once.
DELETE FROM soniq_jobs
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id AND attempts = :attempts
