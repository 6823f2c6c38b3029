-- soniq migrate-store: copied queued jobs, as they were ($1: JSON array of rows; args embedded as JSON),
-- with one NOTIFY per distinct queue, delivered at commit.
WITH ins AS (
    INSERT INTO soniq_jobs (id, job_name, args, args_hash, status, attempts, max_attempts, queue, priority, unique_job,
                            dedup_key, scheduled_at, last_error, producer_id, created_at, updated_at)
    SELECT r.id, r.job_name, r.args, r.args_hash, 'queued', r.attempts, r.max_attempts, r.queue, r.priority, r.unique_job,
           r.dedup_key, r.scheduled_at, r.last_error, r.producer_id, r.created_at, r.updated_at
    FROM json_to_recordset($1::text::json) AS r(id uuid, job_name text, args jsonb, args_hash text, attempts int, max_attempts int,
                                              queue text, priority int, unique_job boolean, dedup_key text, scheduled_at timestamptz,
                                              last_error text, producer_id text, created_at timestamptz, updated_at timestamptz)
    RETURNING queue
)
SELECT pg_notify('soniq_new_job', q.queue) FROM (SELECT DISTINCT queue FROM ins) AS q
