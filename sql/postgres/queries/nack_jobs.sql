-- $1 worker id, $2 JSON array of ids. Claimed-but-unfinished jobs go back, attempts kept (soniq_requeue).
SELECT soniq_requeue(ARRAY(
    SELECT id FROM soniq_jobs
    WHERE id IN (SELECT value::uuid FROM json_array_elements_text($2::text::json))
      AND status = 'processing' AND worker_id = $1::uuid
)) AS n
