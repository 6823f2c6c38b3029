-- One unique job: a queued row with the same (job_name, args_hash) wins; its id is returned.
-- The NOTIFY rides in the same statement (delivered at commit).
WITH ins AS (
    INSERT INTO soniq_jobs (id, job_name, args, args_hash, max_attempts, queue, priority, unique_job, dedup_key, scheduled_at, producer_id)
    SELECT r.id, r.job_name, r.args, r.args_hash, r.max_attempts, r.queue, r.priority, TRUE, NULL, r.scheduled_at, r.producer_id
    FROM json_to_recordset($1::text::json) AS r(id uuid, job_name text, args jsonb, args_hash text, max_attempts int, queue text,
                                              priority int, scheduled_at timestamptz, producer_id text)
    ON CONFLICT (job_name, args_hash) WHERE status = 'queued' AND unique_job = TRUE
    DO UPDATE SET unique_job = EXCLUDED.unique_job
    RETURNING id, queue
)
SELECT id, pg_notify('soniq_new_job', queue) FROM ins
