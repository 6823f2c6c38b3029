SELECT count(*)::int AS total,
       COALESCE(extract(epoch FROM now() - min(moved_to_dead_letter_at)) / 3600, NULL)::float8 AS oldest_hours,
       count(*) FILTER (WHERE COALESCE(resurrection_count, 0) > 0)::int AS resurrected,
       (SELECT COALESCE(json_object_agg(job_name, n), '{}') FROM (SELECT job_name, count(*) n FROM soniq_dead_letter_jobs GROUP BY 1) a) AS by_job_name,
       (SELECT COALESCE(json_object_agg(queue, n), '{}') FROM (SELECT queue, count(*) n FROM soniq_dead_letter_jobs GROUP BY 1) a) AS by_queue,
       (SELECT COALESCE(json_object_agg(dead_letter_reason, n), '{}') FROM (SELECT dead_letter_reason, count(*) n FROM soniq_dead_letter_jobs GROUP BY 1) a) AS by_reason
FROM soniq_dead_letter_jobs
