-- $1 worker id, $2 JSON array of the ids the worker still holds. Its other processing rows are orphans
-- (a claim that committed but whose reply was lost to a dropped connection): they go back to queued,
-- attempts kept (dedup claims handled as in retry_jobs.sql).
WITH t AS (
    SELECT j.id,
           COALESCE(j.unique_job, FALSE)
             AND row_number() OVER (PARTITION BY j.job_name, j.args_hash, COALESCE(j.unique_job, FALSE) ORDER BY j.id) = 1
             AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.unique_job
                             AND q.job_name = j.job_name AND q.args_hash = j.args_hash) AS keep_unique,
           j.dedup_key IS NOT NULL
             AND row_number() OVER (PARTITION BY j.dedup_key ORDER BY j.id) = 1
             AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.dedup_key = j.dedup_key) AS keep_dedup
    FROM soniq_jobs j
    WHERE j.status = 'processing' AND j.worker_id = $1::uuid
      AND j.id NOT IN (SELECT value::uuid FROM json_array_elements_text($2::text::json))
)
UPDATE soniq_jobs j
SET status = 'queued', worker_id = NULL, updated_at = now(),
    unique_job = t.keep_unique, dedup_key = CASE WHEN t.keep_dedup THEN j.dedup_key END
FROM t
WHERE j.id = t.id AND j.status = 'processing' AND j.worker_id = $1::uuid
