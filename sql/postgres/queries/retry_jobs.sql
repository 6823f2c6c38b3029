-- $1 worker id, $2 JSON [{id, attempts, error, delay}]. Delay 0 requeues at the job's original place.
UPDATE soniq_jobs j
SET status = 'queued', last_error = d.error, worker_id = NULL, updated_at = now(),
    scheduled_at = CASE WHEN d.delay > 0 THEN now() + make_interval(secs => d.delay) ELSE NULL END
FROM json_to_recordset($2::text::json) AS d(id uuid, attempts int, error text, delay float8)
WHERE j.id = d.id AND j.status = 'processing' AND j.worker_id = $1::uuid AND j.attempts = d.attempts
