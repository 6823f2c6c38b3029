-- $1 worker id, $2 JSON [{id, attempts, result}], $3 retention seconds. Guarded by owner and attempt.
UPDATE soniq_jobs j
SET status = 'done', result = d.result, expires_at = now() + make_interval(secs => $3::float8), updated_at = now()
FROM json_to_recordset($2::text::json) AS d(id uuid, attempts int, result jsonb)
WHERE j.id = d.id AND j.status = 'processing' AND j.worker_id = $1::uuid AND j.attempts = d.attempts
