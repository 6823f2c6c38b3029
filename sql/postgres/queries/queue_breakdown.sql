SELECT queue,
       count(*) FILTER (WHERE status = 'queued')::int AS queued,
       count(*) FILTER (WHERE status = 'processing')::int AS processing,
       count(*) FILTER (WHERE status = 'done')::int AS done,
       count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
       extract(epoch FROM now() - min(COALESCE(scheduled_at, created_at))
           FILTER (WHERE status = 'queued' AND COALESCE(scheduled_at, created_at) <= now()))::float8 AS oldest_age
FROM soniq_jobs GROUP BY queue ORDER BY queue
