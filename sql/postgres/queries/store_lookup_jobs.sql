-- soniq migrate-store: the jobs a copy could collide with. $1: JSON array of ids (any status);
-- $2: JSON array of [job_name, args_hash] (queued unique jobs holding them); $3: JSON array of dedup keys (queued holders).
SELECT id::text AS id, job_name, args::text AS args_json, args_hash, status, COALESCE(attempts, 0) AS attempts,
       COALESCE(max_attempts, 3) AS max_attempts, COALESCE(queue, 'default') AS queue, COALESCE(priority, 100) AS priority,
       COALESCE(unique_job, FALSE) AS unique_job, dedup_key, scheduled_at, last_error, producer_id,
       COALESCE(created_at, now()) AS created_at, COALESCE(updated_at, created_at, now()) AS updated_at
FROM soniq_jobs
WHERE id IN (SELECT value::uuid FROM json_array_elements_text($1::text::json))
   OR (status = 'queued' AND unique_job AND (job_name, args_hash) IN (SELECT k->>0, k->>1 FROM json_array_elements($2::text::json) AS k))
   OR (status = 'queued' AND dedup_key IN (SELECT value FROM json_array_elements_text($3::text::json)))
