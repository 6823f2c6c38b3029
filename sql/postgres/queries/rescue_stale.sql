-- $1 heartbeat timeout in seconds. Workers silent for longer are marked stopped; processing jobs
-- owned by them, by any stopped worker, or by nobody for that long go back to queued
-- (dedup claims handled as in retry_jobs.sql).
WITH stale AS (
    UPDATE soniq_workers SET status = 'stopped'
    WHERE status <> 'stopped' AND last_heartbeat < now() - make_interval(secs => $1::float8)
    RETURNING id
), t AS (
    SELECT j.id,
           COALESCE(j.unique_job, FALSE)
             AND row_number() OVER (PARTITION BY j.job_name, j.args_hash, COALESCE(j.unique_job, FALSE) ORDER BY j.id) = 1
             AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.unique_job
                             AND q.job_name = j.job_name AND q.args_hash = j.args_hash) AS keep_unique,
           j.dedup_key IS NOT NULL
             AND row_number() OVER (PARTITION BY j.dedup_key ORDER BY j.id) = 1
             AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.dedup_key = j.dedup_key) AS keep_dedup
    FROM soniq_jobs j
    WHERE j.status = 'processing' AND (
        j.worker_id IN (SELECT id FROM stale)
        OR j.worker_id IN (SELECT id FROM soniq_workers WHERE status = 'stopped')
        OR (j.worker_id IS NULL AND j.updated_at < now() - make_interval(secs => $1::float8))
    )
), jobs AS (
    UPDATE soniq_jobs j
    SET status = 'queued', worker_id = NULL, updated_at = now(),
        unique_job = t.keep_unique, dedup_key = CASE WHEN t.keep_dedup THEN j.dedup_key END
    FROM t
    WHERE j.id = t.id AND j.status = 'processing'
    RETURNING 1
)
SELECT (SELECT count(*) FROM stale)::int AS workers, (SELECT count(*) FROM jobs)::int AS jobs
