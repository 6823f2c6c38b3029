-- A restarted process with the same (hostname, pid) takes over its predecessor's row: its jobs are
-- requeued first. This selects them, in id order, and requeue_job.sql requeues each in the same
-- transaction (first_unique / first_dedup as in nack_jobs.sql).
SELECT id, worker_id, attempts,
       row_number() OVER (PARTITION BY job_name, args_hash, unique_job ORDER BY id) = 1 AS first_unique,
       row_number() OVER (PARTITION BY dedup_key ORDER BY id) = 1 AS first_dedup
FROM soniq_jobs
WHERE status = 'processing' AND worker_id IN (SELECT id FROM soniq_workers WHERE hostname = :hostname AND pid = :pid)
ORDER BY id
