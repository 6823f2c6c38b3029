-- :job_names ... :tags: dead_letter_filter.sql; :limit, :offset. Newest first.
SELECT id, job_name, args, queue, priority, max_attempts, attempts, last_error, dead_letter_reason,
       original_created_at, moved_to_dead_letter_at, resurrection_count, last_resurrection_at, tags
FROM soniq_dead_letter_jobs
WHERE /* dead_letter_filter */
ORDER BY moved_to_dead_letter_at DESC, id DESC
LIMIT :limit OFFSET :offset
