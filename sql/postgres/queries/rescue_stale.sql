-- $1 heartbeat timeout in seconds. Workers silent for longer are marked stopped; processing jobs
-- owned by them, by any stopped worker, or by nobody for that long go back to queued.
WITH stale AS (
    UPDATE soniq_workers SET status = 'stopped'
    WHERE status <> 'stopped' AND last_heartbeat < now() - make_interval(secs => $1::float8)
    RETURNING id
), jobs AS (
    UPDATE soniq_jobs SET status = 'queued', worker_id = NULL, updated_at = now()
    WHERE status = 'processing' AND (
        worker_id IN (SELECT id FROM stale)
        OR worker_id IN (SELECT id FROM soniq_workers WHERE status = 'stopped')
        OR (worker_id IS NULL AND updated_at < now() - make_interval(secs => $1::float8))
    )
    RETURNING 1
)
SELECT (SELECT count(*) FROM stale)::int AS workers, (SELECT count(*) FROM jobs)::int AS jobs
