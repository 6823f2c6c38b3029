-- $1 heartbeat timeout in seconds; $2 the same for workers that heartbeat from a thread of their own
-- (metadata.heartbeat = 'thread': a blocked event loop does not silence them, so silence means
-- death much sooner; Python's workers and older ones keep $1). Workers silent for longer are
-- marked stopped; processing jobs
-- owned by them, by any stopped worker, or by nobody for that long go back to queued
-- (soniq_requeue_guarded: only while still owned as seen here).
WITH stale AS (
    UPDATE soniq_workers SET status = 'stopped'
    WHERE status <> 'stopped'
      AND last_heartbeat < now() - make_interval(secs => CASE WHEN metadata->>'heartbeat' = 'thread' THEN $2::float8 ELSE $1::float8 END)
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
