-- soniq migrate-store: dead-letter rows with every column, in id order, after :after (NULL: from the start), at most :limit.
SELECT id, job_name, args AS args_json, queue, priority, max_attempts, attempts, last_error, dead_letter_reason,
       original_created_at, moved_to_dead_letter_at, resurrection_count, last_resurrection_at, tags AS tags_json, created_at
FROM soniq_dead_letter_jobs
WHERE (:after IS NULL OR id > :after)
ORDER BY id
LIMIT :limit
