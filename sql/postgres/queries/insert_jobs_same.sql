-- A batch whose rows share everything but id and args (enqueueMany): $1 JSON [{id, args}],
-- $2 job name, $3 max attempts, $4 queue, $5 priority, $6 scheduled_at, $7 producer id.
-- Sending the shared values once keeps the payload to ids and args. One NOTIFY, at commit.
WITH ins AS (
    INSERT INTO soniq_jobs (id, job_name, args, max_attempts, queue, priority, unique_job, scheduled_at, producer_id)
    SELECT r.id, $2, r.args, $3, $4, $5, FALSE, $6::timestamptz, $7
    FROM json_to_recordset($1::text::json) AS r(id uuid, args jsonb)
    RETURNING 1
)
SELECT pg_notify('soniq_new_job', $4) WHERE EXISTS (SELECT 1 FROM ins)
