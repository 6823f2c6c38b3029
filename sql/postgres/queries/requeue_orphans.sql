-- $1 worker id, $2 JSON array of the ids the worker still holds. Its other processing rows are orphans
-- (a claim that committed but whose reply was lost to a dropped connection): back to queued (soniq_requeue).
SELECT soniq_requeue(ARRAY(
    SELECT id FROM soniq_jobs
    WHERE status = 'processing' AND worker_id = $1::uuid
      AND id NOT IN (SELECT value::uuid FROM json_array_elements_text($2::text::json))
)) AS n
