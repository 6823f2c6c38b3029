-- Soniq for Bun: the requeue rule of 0052, guarded in the statement that writes. Each row is
-- requeued only if it is still processing under the owner and at the attempt the caller saw:
-- a job rescued and re-claimed between the caller's check and this UPDATE stays with its new
-- owner (READ COMMITTED re-evaluates the WHERE clause on the row's newest version).
-- Attempts are kept, except for rows whose p_refunds entry is true (a snooze: the attempt that
-- ended is given back). With p_errors/p_delays (a retry) each row also gets its last_error and a
-- scheduled_at `delay` seconds ahead (0 = keep its original place, NULL scheduled_at); without
-- them last_error and scheduled_at are kept. A unique/dedup job keeps its dedup claim only if no
-- queued row holds that key already and it is the lowest id among the rows requeued here that
-- still hold the key; otherwise it gives the claim up instead of colliding with the partial
-- unique indexes (both jobs run; nothing is lost).
CREATE OR REPLACE FUNCTION soniq_requeue_guarded(p_ids uuid[], p_owners uuid[], p_attempts int[],
                                                 p_errors text[] DEFAULT NULL, p_delays float8[] DEFAULT NULL,
                                                 p_refunds boolean[] DEFAULT NULL)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH input AS (
        SELECT * FROM unnest(p_ids, p_owners, p_attempts, p_errors, p_delays, p_refunds) AS i(id, owner, attempts, error, delay, refund)
        WHERE i.id IS NOT NULL
    ), t AS (
        SELECT j.id, i.owner, i.attempts, i.error, i.delay, COALESCE(i.refund, FALSE) AS refund,
               COALESCE(j.unique_job, FALSE)
                 AND row_number() OVER (PARTITION BY j.job_name, j.args_hash, COALESCE(j.unique_job, FALSE) ORDER BY j.id) = 1
                 AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.unique_job
                                 AND q.job_name = j.job_name AND q.args_hash = j.args_hash) AS keep_unique,
               j.dedup_key IS NOT NULL
                 AND row_number() OVER (PARTITION BY j.dedup_key ORDER BY j.id) = 1
                 AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.dedup_key = j.dedup_key) AS keep_dedup
        FROM soniq_jobs j JOIN input i ON i.id = j.id
        WHERE j.status = 'processing' AND j.worker_id IS NOT DISTINCT FROM i.owner AND j.attempts IS NOT DISTINCT FROM i.attempts
    ), moved AS (
        UPDATE soniq_jobs j
        SET status = 'queued', worker_id = NULL, updated_at = now(),
            attempts = CASE WHEN t.refund THEN GREATEST(j.attempts - 1, 0) ELSE j.attempts END,
            last_error = COALESCE(t.error, j.last_error),
            scheduled_at = CASE WHEN t.delay IS NULL THEN j.scheduled_at
                                WHEN t.delay > 0 THEN now() + make_interval(secs => t.delay) END,
            unique_job = t.keep_unique,
            dedup_key = CASE WHEN t.keep_dedup THEN j.dedup_key END
        FROM t
        WHERE j.id = t.id AND j.status = 'processing'
          AND j.worker_id IS NOT DISTINCT FROM t.owner AND j.attempts IS NOT DISTINCT FROM t.attempts
        RETURNING 1
    )
    SELECT count(*)::int FROM moved
$$;

-- 0052's entry point stays for workers of the previous release during a rolling deploy: the same
-- rule, guarded by the owner and attempt each row has when the statement starts.
CREATE OR REPLACE FUNCTION soniq_requeue(p_ids uuid[], p_errors text[] DEFAULT NULL, p_delays float8[] DEFAULT NULL)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH input AS (
        SELECT i.ord, j.id, j.worker_id, j.attempts, i.error, i.delay
        FROM unnest(p_ids, p_errors, p_delays) WITH ORDINALITY AS i(id, error, delay, ord)
        JOIN soniq_jobs j ON j.id = i.id
    )
    SELECT soniq_requeue_guarded(ARRAY(SELECT id FROM input ORDER BY ord), ARRAY(SELECT worker_id FROM input ORDER BY ord),
                                 ARRAY(SELECT attempts FROM input ORDER BY ord), ARRAY(SELECT error FROM input ORDER BY ord),
                                 ARRAY(SELECT delay FROM input ORDER BY ord))
$$;
