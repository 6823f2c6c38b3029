-- :outcomes is a JSON array of [id, attempts]: the retried jobs still owned by :worker_id at that
-- attempt, in id order; requeue_job.sql then requeues each in the same transaction (first_unique /
-- first_dedup as in nack_jobs.sql).
SELECT id, worker_id, attempts,
       row_number() OVER (PARTITION BY job_name, args_hash, unique_job ORDER BY id) = 1 AS first_unique,
       row_number() OVER (PARTITION BY dedup_key ORDER BY id) = 1 AS first_dedup
FROM soniq_jobs
WHERE (id, attempts) IN (SELECT value ->> 0, value ->> 1 FROM json_each(:outcomes))
  AND status = 'processing' AND worker_id = :worker_id
ORDER BY id
