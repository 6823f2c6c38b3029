-- soniq migrate-store: the jobs a copy could collide with. :ids: JSON array of ids (any status);
-- :unique_keys: JSON array of [job_name, args_hash] (queued unique jobs holding them); :dedup_keys: JSON array (queued holders).
SELECT id, job_name, args AS args_json, args_hash, status, attempts, max_attempts, queue, priority, unique_job, dedup_key,
       scheduled_at, last_error, producer_id, created_at, updated_at
FROM soniq_jobs
WHERE id IN (SELECT value FROM json_each(:ids))
   OR (status = 'queued' AND unique_job = 1
       AND EXISTS (SELECT 1 FROM json_each(:unique_keys) AS k
                   WHERE json_extract(k.value, '$[0]') = job_name AND json_extract(k.value, '$[1]') = args_hash))
   OR (status = 'queued' AND dedup_key IN (SELECT value FROM json_each(:dedup_keys)))
