-- $1 worker id, $2 JSON array of the ids the worker still holds. Its other processing rows are orphans
-- (a claim that committed but whose reply was lost to a dropped connection): back to queued
-- (soniq_requeue_guarded).
WITH orphans AS (
    SELECT id, worker_id, attempts FROM soniq_jobs
    WHERE status = 'processing' AND worker_id = $1::uuid
      AND id NOT IN (SELECT value::uuid FROM json_array_elements_text($2::text::json))
    ORDER BY id
)
SELECT soniq_requeue_guarded(ARRAY(SELECT id FROM orphans), ARRAY(SELECT worker_id FROM orphans), ARRAY(SELECT attempts FROM orphans)) AS n
