-- $1 worker id, $2 JSON array of ids. Claimed-but-unfinished jobs go back, attempts kept.
UPDATE soniq_jobs SET status = 'queued', worker_id = NULL, updated_at = now()
WHERE id IN (SELECT value::uuid FROM json_array_elements_text($2::text::json))
  AND status = 'processing' AND worker_id = $1::uuid
