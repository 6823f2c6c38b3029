-- One job with a dedup key: a queued row with the same key wins; its id is returned.
-- The NOTIFY rides in the same statement (delivered at commit).
WITH ins AS (
    INSERT INTO soniq_jobs (id, job_name, args, args_hash, max_attempts, queue, priority, unique_job, dedup_key, scheduled_at, producer_id)
    SELECT r.id, r.job_name, r.args, NULL, r.max_attempts, r.queue, r.priority, FALSE, r.dedup_key, r.scheduled_at, r.producer_id
    FROM json_to_recordset($1::text::json) AS r(id uuid, job_name text, args jsonb, max_attempts int, queue text,
                                              priority int, dedup_key text, scheduled_at timestamptz, producer_id text)
    ON CONFLICT (dedup_key) WHERE status = 'queued' AND dedup_key IS NOT NULL
    DO UPDATE SET dedup_key = EXCLUDED.dedup_key
    RETURNING id, queue
)
SELECT id, pg_notify('soniq_new_job', queue) FROM ins
