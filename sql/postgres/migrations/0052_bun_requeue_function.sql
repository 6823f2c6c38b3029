-- Soniq for Bun: one definition of "put processing jobs back to queued" for nack, orphan release,
-- stale-worker rescue and worker takeover. Attempts are kept. A unique/dedup job keeps its dedup
-- claim only if no queued row holds that key already and it is the lowest id among the rows
-- requeued here that still hold the key; otherwise it gives the claim up instead of colliding
-- with the partial unique indexes (both jobs run; nothing is lost).
CREATE OR REPLACE FUNCTION soniq_requeue(p_ids uuid[]) RETURNS integer
LANGUAGE sql VOLATILE AS $$
    WITH t AS (
        SELECT j.id,
               COALESCE(j.unique_job, FALSE)
                 AND row_number() OVER (PARTITION BY j.job_name, j.args_hash, COALESCE(j.unique_job, FALSE) ORDER BY j.id) = 1
                 AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.unique_job
                                 AND q.job_name = j.job_name AND q.args_hash = j.args_hash) AS keep_unique,
               j.dedup_key IS NOT NULL
                 AND row_number() OVER (PARTITION BY j.dedup_key ORDER BY j.id) = 1
                 AND NOT EXISTS (SELECT 1 FROM soniq_jobs q WHERE q.status = 'queued' AND q.dedup_key = j.dedup_key) AS keep_dedup
        FROM soniq_jobs j
        WHERE j.id = ANY (p_ids) AND j.status = 'processing'
    ), moved AS (
        UPDATE soniq_jobs j
        SET status = 'queued', worker_id = NULL, updated_at = now(),
            unique_job = t.keep_unique, dedup_key = CASE WHEN t.keep_dedup THEN j.dedup_key END
        FROM t
        WHERE j.id = t.id AND j.status = 'processing'
        RETURNING 1
    )
    SELECT count(*)::int FROM moved
$$;
