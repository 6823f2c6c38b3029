SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
       count(*) FILTER (WHERE status = 'processing')::int AS processing,
       count(*) FILTER (WHERE status = 'done')::int AS done,
       count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
       (SELECT count(*) FROM soniq_dead_letter_jobs)::int AS dead_letter
FROM soniq_jobs
