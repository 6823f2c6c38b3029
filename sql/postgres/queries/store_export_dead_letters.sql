-- soniq migrate-store: dead-letter rows with every column, in id order, after $1 (NULL: from the start), at most $2.
SELECT id::text AS id, job_name, args::text AS args_json, queue, priority, max_attempts, attempts, last_error,
       dead_letter_reason, original_created_at, moved_to_dead_letter_at, COALESCE(resurrection_count, 0) AS resurrection_count,
       last_resurrection_at, tags::text AS tags_json, COALESCE(created_at, moved_to_dead_letter_at) AS created_at
FROM soniq_dead_letter_jobs
WHERE ($1::uuid IS NULL OR id > $1::uuid)
ORDER BY id
LIMIT $2
