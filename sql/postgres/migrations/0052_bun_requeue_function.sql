-- Soniq for Bun: one definition of "put processing jobs back to queued" for retries, nack, orphan
-- release, stale-worker rescue and worker takeover. Attempts are kept. With p_errors/p_delays
-- (a retry) each row also gets its last_error and a scheduled_at `delay` seconds ahead (0 = keep
-- its original place, NULL scheduled_at); without them last_error and scheduled_at are kept.
-- A unique/dedup job keeps its dedup claim only if no queued row holds that key already and it is
-- the lowest id among the rows requeued here that still hold the key; otherwise it gives the claim
-- up instead of colliding with the partial unique indexes (both jobs run; nothing is lost).
CREATE OR REPLACE FUNCTION soniq_requeue(p_ids uuid[], p_errors text[] DEFAULT NULL, p_delays float8[] DEFAULT NULL)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH input AS (
        SELECT * FROM unnest(p_ids, p_errors, p_delays) AS i(id, error, delay) WHERE i.id IS NOT NULL
    ), t AS (
        SELECT j.id, i.error, i.delay,
               COALESCE(j.unique_job, FALSE)
                 AND row_number() OVER (PARTITION BY j.job_name, j.args_hash, COALESCE(j.unique_job, FALSE) ORDER BY j.id) = 1
                 AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.unique_job
                                 AND q.job_name = j.job_name AND q.args_hash = j.args_hash) AS keep_unique,
               j.dedup_key IS NOT NULL
                 AND row_number() OVER (PARTITION BY j.dedup_key ORDER BY j.id) = 1
                 AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.dedup_key = j.dedup_key) AS keep_dedup
        FROM soniq_jobs j JOIN input i ON i.id = j.id
        WHERE j.status = 'processing'
    ), moved AS (
        UPDATE soniq_jobs j
        SET status = 'queued', worker_id = NULL, updated_at = now(),
            last_error = COALESCE(t.error, j.last_error),
            scheduled_at = CASE WHEN t.delay IS NULL THEN j.scheduled_at
                                WHEN t.delay > 0 THEN now() + make_interval(secs => t.delay) END,
            unique_job = t.keep_unique,
            dedup_key = CASE WHEN t.keep_dedup THEN j.dedup_key END
        FROM t
        WHERE j.id = t.id AND j.status = 'processing'
        RETURNING 1
    )
    SELECT count(*)::int FROM moved
$$;
