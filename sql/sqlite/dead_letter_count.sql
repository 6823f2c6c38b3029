-- :job_names ... :tags: dead_letter_filter.sql.
SELECT count(*) AS n
FROM soniq_dead_letter_jobs
WHERE /* dead_letter_filter */
