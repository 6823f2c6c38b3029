-- :ids is a JSON array of the ids the worker still holds; its other processing rows are orphans (a claim
-- whose reply was lost). They go back, attempts kept: this selects them, in id
-- order, and requeue_job.sql requeues each in the same transaction. first_unique / first_dedup: the
-- lowest id of these rows under its (job_name, args_hash) / dedup_key, as in Postgres.
SELECT id, worker_id, attempts,
       row_number() OVER (PARTITION BY job_name, args_hash, unique_job ORDER BY id) = 1 AS first_unique,
       row_number() OVER (PARTITION BY dedup_key ORDER BY id) = 1 AS first_dedup
FROM soniq_jobs
WHERE status = 'processing' AND worker_id = :worker_id AND id NOT IN (SELECT value FROM json_each(:ids))
ORDER BY id
