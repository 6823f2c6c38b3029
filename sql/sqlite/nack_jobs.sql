-- :ids is a JSON array. Claimed-but-unfinished jobs go back, attempts kept: this selects them, in id
-- order, and requeue_job.sql requeues each in the same transaction. first_unique / first_dedup: the
-- lowest id of these rows under its (job_name, args_hash) / dedup_key, as in Postgres.
SELECT id, worker_id, attempts,
       row_number() OVER (PARTITION BY job_name, args_hash, unique_job ORDER BY id) = 1 AS first_unique,
       row_number() OVER (PARTITION BY dedup_key ORDER BY id) = 1 AS first_dedup
FROM soniq_jobs
WHERE id IN (SELECT value FROM json_each(:ids)) AND status = 'processing' AND worker_id = :worker_id
ORDER BY id
