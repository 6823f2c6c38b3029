-- soniq migrate-store: dead-letter rows with one of the ids in $1 (JSON array).
SELECT id::text AS id, job_name, args::text AS args_json, queue, priority, max_attempts, attempts, last_error,
       dead_letter_reason, original_created_at, moved_to_dead_letter_at, COALESCE(resurrection_count, 0) AS resurrection_count,
       last_resurrection_at, tags::text AS tags_json, COALESCE(created_at, moved_to_dead_letter_at) AS created_at
FROM soniq_dead_letter_jobs
WHERE id IN (SELECT value::uuid FROM json_array_elements_text($1::text::json))
