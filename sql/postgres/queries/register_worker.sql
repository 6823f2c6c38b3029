-- A restarted process with the same (hostname, pid) takes over its dead predecessor's row and id:
-- the predecessor's processing jobs are requeued first (dedup claims handled as in
-- retry_jobs.sql), so nothing is stranded and no key changes.
WITH old AS (
    SELECT id FROM soniq_workers WHERE hostname = $2 AND pid = $3
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
    WHERE j.status = 'processing' AND j.worker_id IN (SELECT id FROM old)
), requeued AS (
    UPDATE soniq_jobs j
    SET status = 'queued', worker_id = NULL, updated_at = now(),
        unique_job = t.keep_unique, dedup_key = CASE WHEN t.keep_dedup THEN j.dedup_key END
    FROM t
    WHERE j.id = t.id AND j.status = 'processing'
    RETURNING 1
)
INSERT INTO soniq_workers (id, hostname, pid, queues, concurrency, status, last_heartbeat, started_at, version, metadata)
VALUES ($1::uuid, $2, $3, (SELECT coalesce(array_agg(value), '{}') FROM json_array_elements_text($4::text::json)),
        $5, 'active', now(), now(), $6, $7::text::jsonb)
ON CONFLICT (hostname, pid) DO UPDATE SET
    status = 'active', queues = EXCLUDED.queues, concurrency = EXCLUDED.concurrency, last_heartbeat = now(),
    started_at = now(), version = EXCLUDED.version, metadata = EXCLUDED.metadata
RETURNING id, (SELECT count(*) FROM requeued)::int AS requeued
