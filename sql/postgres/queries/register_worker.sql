-- $1 id, $2 hostname, $3 pid, $4 JSON queues, $5 concurrency, $6 version, $7 JSON metadata,
-- $8 seconds of silence after which a worker counts as dead.
-- A restarted process with the same (hostname, pid) takes over its predecessor's row and id, but
-- only when the predecessor is stopped or silent: its processing jobs are requeued first
-- (soniq_requeue_guarded). A live row with this (hostname, pid) (two
-- containers with one fixed hostname, each process pid 1) is never touched: no row comes back,
-- and the caller registers under another hostname.
WITH predecessor AS (
    SELECT id FROM soniq_workers
    WHERE hostname = $2 AND pid = $3
      AND (status = 'stopped' OR last_heartbeat <= now() - make_interval(secs => $8::float8))
), orphans AS (
    SELECT j.id, j.worker_id, j.attempts FROM soniq_jobs j
    WHERE j.status = 'processing' AND j.worker_id IN (SELECT id FROM predecessor)
    ORDER BY j.id
), requeued AS (
    SELECT soniq_requeue_guarded(ARRAY(SELECT id FROM orphans), ARRAY(SELECT worker_id FROM orphans),
                                 ARRAY(SELECT attempts FROM orphans)) AS n
)
INSERT INTO soniq_workers (id, hostname, pid, queues, concurrency, status, last_heartbeat, started_at, version, metadata)
VALUES ($1::uuid, $2, $3, (SELECT coalesce(array_agg(value), '{}') FROM json_array_elements_text($4::text::json)),
        $5, 'active', now(), now(), $6, $7::text::jsonb)
ON CONFLICT (hostname, pid) DO UPDATE SET
    status = 'active', queues = EXCLUDED.queues, concurrency = EXCLUDED.concurrency, last_heartbeat = now(),
    started_at = now(), version = EXCLUDED.version, metadata = EXCLUDED.metadata
WHERE soniq_workers.status = 'stopped' OR soniq_workers.last_heartbeat <= now() - make_interval(secs => $8::float8)
RETURNING id, (SELECT n FROM requeued) AS requeued
