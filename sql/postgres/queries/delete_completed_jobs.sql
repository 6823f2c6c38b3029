-- result_ttl = 0: a finished job leaves the table at once. $1 worker id, $2 JSON [{id, attempts}].
DELETE FROM soniq_jobs j
USING json_to_recordset($2::text::json) AS d(id uuid, attempts int)
WHERE j.id = d.id AND j.status = 'processing' AND j.worker_id = $1::uuid AND j.attempts = d.attempts
