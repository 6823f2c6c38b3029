-- $1 worker id, $2 JSON array of ids. Claimed-but-unfinished jobs go back, attempts kept
-- (soniq_requeue_guarded: still ours, at the attempt seen here, in the UPDATE itself).
WITH mine AS (
    SELECT id, worker_id, attempts FROM soniq_jobs
    WHERE id IN (SELECT value::uuid FROM json_array_elements_text($2::text::json))
      AND status = 'processing' AND worker_id = $1::uuid
    ORDER BY id
)
SELECT soniq_requeue_guarded(ARRAY(SELECT id FROM mine), ARRAY(SELECT worker_id FROM mine), ARRAY(SELECT attempts FROM mine)) AS n
