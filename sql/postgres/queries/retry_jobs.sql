-- $1 worker id, $2 JSON [{id, attempts, error, delay}]. Delay 0 requeues at the job's original place.
-- A unique/dedup job whose twin was enqueued while it ran gives up its dedup claim instead of
-- colliding with the twin's partial unique index (both run; nothing is lost).
WITH d AS (
    SELECT * FROM json_to_recordset($2::text::json) AS d(id uuid, attempts int, error text, delay float8)
), t AS (
    SELECT j.id, d.error, d.delay,
           COALESCE(j.unique_job, FALSE)
             AND row_number() OVER (PARTITION BY j.job_name, j.args_hash, COALESCE(j.unique_job, FALSE) ORDER BY j.id) = 1
             AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.unique_job
                             AND q.job_name = j.job_name AND q.args_hash = j.args_hash) AS keep_unique,
           j.dedup_key IS NOT NULL
             AND row_number() OVER (PARTITION BY j.dedup_key ORDER BY j.id) = 1
             AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.dedup_key = j.dedup_key) AS keep_dedup
    FROM soniq_jobs j JOIN d ON d.id = j.id
    WHERE j.status = 'processing' AND j.worker_id = $1::uuid AND j.attempts = d.attempts
)
UPDATE soniq_jobs j
SET status = 'queued', last_error = t.error, worker_id = NULL, updated_at = now(),
    scheduled_at = CASE WHEN t.delay > 0 THEN now() + make_interval(secs => t.delay) ELSE NULL END,
    unique_job = t.keep_unique,
    dedup_key = CASE WHEN t.keep_dedup THEN j.dedup_key END
FROM t
WHERE j.id = t.id AND j.status = 'processing' AND j.worker_id = $1::uuid
