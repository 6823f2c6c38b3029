SELECT count(*) AS total,
       min(moved_to_dead_letter_at) AS oldest_moved_at,
       count(*) FILTER (WHERE resurrection_count > 0) AS resurrected,
       (SELECT json_group_object(job_name, n) FROM (SELECT job_name, count(*) AS n FROM soniq_dead_letter_jobs GROUP BY 1)) AS by_job_name,
       (SELECT json_group_object(queue, n) FROM (SELECT queue, count(*) AS n FROM soniq_dead_letter_jobs GROUP BY 1)) AS by_queue,
       (SELECT json_group_object(dead_letter_reason, n) FROM (SELECT dead_letter_reason, count(*) AS n FROM soniq_dead_letter_jobs GROUP BY 1)) AS by_reason
FROM soniq_dead_letter_jobs
