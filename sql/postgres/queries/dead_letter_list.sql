-- Filters are NULL when unused: $1 job names, $2 queues, $3 reasons (JSON arrays), $4 since, $5 before,
-- $6 resurrected (bool), $7 limit, $8 offset. Newest first.
SELECT id, job_name, args, queue, priority, max_attempts, attempts, last_error, dead_letter_reason,
       original_created_at, moved_to_dead_letter_at, resurrection_count, last_resurrection_at, tags
FROM soniq_dead_letter_jobs
WHERE ($1::text IS NULL OR job_name IN (SELECT json_array_elements_text($1::text::json)))
  AND ($2::text IS NULL OR queue IN (SELECT json_array_elements_text($2::text::json)))
  AND ($3::text IS NULL OR dead_letter_reason IN (SELECT json_array_elements_text($3::text::json)))
  AND ($4::timestamptz IS NULL OR moved_to_dead_letter_at >= $4::timestamptz)
  AND ($5::timestamptz IS NULL OR moved_to_dead_letter_at < $5::timestamptz)
  AND ($6::boolean IS NULL OR (COALESCE(resurrection_count, 0) > 0) = $6::boolean)
ORDER BY moved_to_dead_letter_at DESC, id DESC
LIMIT $7 OFFSET $8
