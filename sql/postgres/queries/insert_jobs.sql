-- $1: JSON array of rows. Plain inserts (no dedup) for one job or a whole batch in one statement,
-- with one NOTIFY per distinct queue in the same statement (delivered at commit, never before).
WITH ins AS (
    INSERT INTO soniq_jobs (id, job_name, args, args_hash, max_attempts, queue, priority, unique_job, dedup_key, scheduled_at, producer_id)
    SELECT r.id, r.job_name, r.args, r.args_hash, r.max_attempts, r.queue, r.priority, r.unique_job, r.dedup_key, r.scheduled_at, r.producer_id
    FROM json_to_recordset($1::text::json) AS r(id uuid, job_name text, args jsonb, args_hash text, max_attempts int, queue text,
                                              priority int, unique_job boolean, dedup_key text, scheduled_at timestamptz, producer_id text)
    RETURNING queue
)
SELECT pg_notify('soniq_new_job', q.queue) FROM (SELECT DISTINCT queue FROM ins) AS q
