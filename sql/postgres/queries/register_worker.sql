-- A restarted process with the same (hostname, pid) takes over its dead predecessor's row and id:
-- the predecessor's processing jobs are requeued first (soniq_requeue), so nothing is stranded
-- and no key changes.
WITH requeued AS (
    SELECT soniq_requeue(ARRAY(
        SELECT j.id FROM soniq_jobs j
        WHERE j.status = 'processing'
          AND j.worker_id IN (SELECT id FROM soniq_workers WHERE hostname = $2 AND pid = $3)
    )) AS n
)
INSERT INTO soniq_workers (id, hostname, pid, queues, concurrency, status, last_heartbeat, started_at, version, metadata)
VALUES ($1::uuid, $2, $3, (SELECT coalesce(array_agg(value), '{}') FROM json_array_elements_text($4::text::json)),
        $5, 'active', now(), now(), $6, $7::text::jsonb)
ON CONFLICT (hostname, pid) DO UPDATE SET
    status = 'active', queues = EXCLUDED.queues, concurrency = EXCLUDED.concurrency, last_heartbeat = now(),
    started_at = now(), version = EXCLUDED.version, metadata = EXCLUDED.metadata
RETURNING id, (SELECT n FROM requeued) AS requeued
