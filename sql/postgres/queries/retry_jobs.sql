-- $1 worker id, $2 JSON [{id, attempts, error, delay}]: failed attempts go back to queued through
-- soniq_requeue (delay 0 keeps the job's original place), guarded by owner and attempt.
WITH d AS (
    SELECT d.id, d.error, d.delay
    FROM json_to_recordset($2::text::json) AS d(id uuid, attempts int, error text, delay float8)
    JOIN soniq_jobs j ON j.id = d.id AND j.status = 'processing' AND j.worker_id = $1::uuid AND j.attempts = d.attempts
)
SELECT soniq_requeue(ARRAY(SELECT id FROM d ORDER BY id), ARRAY(SELECT error FROM d ORDER BY id),
                     ARRAY(SELECT delay FROM d ORDER BY id)) AS n
