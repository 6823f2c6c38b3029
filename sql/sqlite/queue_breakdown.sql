-- oldest_run_at: run time of the oldest due queued job (NULL when none); the caller turns it into an age.
SELECT queue,
       count(*) FILTER (WHERE status = 'queued') AS queued,
       count(*) FILTER (WHERE status = 'processing') AS processing,
       count(*) FILTER (WHERE status = 'done') AS done,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       min(run_at) FILTER (WHERE status = 'queued' AND run_at <= :now) AS oldest_run_at
FROM soniq_jobs GROUP BY queue ORDER BY queue
