-- The number of rows search_jobs.sql matches (same filters, no paging).
SELECT count(*) AS total
FROM soniq_jobs
WHERE (:queue IS NULL OR queue = :queue)
  AND (:status IS NULL OR status = :status)
  AND (:job_name IS NULL OR job_name = :job_name)
  AND (:search IS NULL
       OR instr(lower(job_name), lower(:search)) > 0
       OR instr(lower(COALESCE(last_error, '')), lower(:search)) > 0
       OR instr(lower(args), lower(:search)) > 0
       OR instr(lower(id), lower(:search)) = 1)
