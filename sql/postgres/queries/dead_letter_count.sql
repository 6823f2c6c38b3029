-- $1-$7: dead_letter_filter.sql.
SELECT count(*)::int AS n
FROM soniq_dead_letter_jobs
WHERE /* dead_letter_filter */
