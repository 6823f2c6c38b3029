-- Dashboard job search. :queue, :status, :job_name are NULL for "any"; :search (NULL = any) is a
-- case-insensitive (ASCII) substring of the job name, the last error or the args JSON, or a prefix of the id.
-- Newest first; the total comes from search_jobs_count.sql.
SELECT id, job_name, args, status, attempts, max_attempts, queue, priority, unique_job, dedup_key, scheduled_at, expires_at,
       last_error, result, producer_id, worker_id, created_at, updated_at
FROM soniq_jobs
WHERE (:queue IS NULL OR queue = :queue)
  AND (:status IS NULL OR status = :status)
  AND (:job_name IS NULL OR job_name = :job_name)
  AND (:search IS NULL
       OR instr(lower(job_name), lower(:search)) > 0
       OR instr(lower(COALESCE(last_error, '')), lower(:search)) > 0
       OR instr(lower(args), lower(:search)) > 0
       OR instr(lower(id), lower(:search)) = 1)
ORDER BY created_at DESC, id DESC
LIMIT :limit OFFSET :offset
