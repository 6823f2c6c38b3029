-- $1 heartbeat timeout in seconds. Workers silent for longer are marked stopped; processing jobs
-- owned by them, by any stopped worker, or by nobody for that long go back to queued
-- (soniq_requeue_guarded: only while still owned as seen here).
WITH stale AS (
    UPDATE soniq_workers SET status = 'stopped'
    WHERE status <> 'stopped' AND last_heartbeat < now() - make_interval(secs => $1::float8)
    RETURNING id
), stranded AS (
    SELECT j.id, j.worker_id, j.attempts FROM soniq_jobs j
    WHERE j.status = 'processing' AND (
        j.worker_id IN (SELECT id FROM stale)
        OR j.worker_id IN (SELECT id FROM soniq_workers WHERE status = 'stopped')
        OR (j.worker_id IS NULL AND j.updated_at < now() - make_interval(secs => $1::float8))
    )
    ORDER BY j.id
)
SELECT (SELECT count(*) FROM stale)::int AS workers,
       soniq_requeue_guarded(ARRAY(SELECT id FROM stranded), ARRAY(SELECT worker_id FROM stranded),
                             ARRAY(SELECT attempts FROM stranded)) AS jobs
