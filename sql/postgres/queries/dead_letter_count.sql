SELECT count(*)::int AS n
FROM soniq_dead_letter_jobs
WHERE ($1::text IS NULL OR job_name IN (SELECT json_array_elements_text($1::text::json)))
  AND ($2::text IS NULL OR queue IN (SELECT json_array_elements_text($2::text::json)))
  AND ($3::text IS NULL OR dead_letter_reason IN (SELECT json_array_elements_text($3::text::json)))
  AND ($4::timestamptz IS NULL OR moved_to_dead_letter_at >= $4::timestamptz)
  AND ($5::timestamptz IS NULL OR moved_to_dead_letter_at < $5::timestamptz)
  AND ($6::boolean IS NULL OR (COALESCE(resurrection_count, 0) > 0) = $6::boolean)
