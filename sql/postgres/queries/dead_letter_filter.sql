-- The dead-letter filter of dead_letter_list, _count and _purge (spliced where they say
-- /* dead_letter_filter */). Unused filters are NULL: $1 job names, $2 queues, $3 reasons (JSON arrays),
-- $4 since, $5 before, $6 resurrected (bool), $7 tags (a JSON object of key -> text: the row's
-- `tags ->> key` must equal each value, as Python's filter).
($1::text IS NULL OR job_name IN (SELECT json_array_elements_text($1::text::json)))
  AND ($2::text IS NULL OR queue IN (SELECT json_array_elements_text($2::text::json)))
  AND ($3::text IS NULL OR dead_letter_reason IN (SELECT json_array_elements_text($3::text::json)))
  AND ($4::timestamptz IS NULL OR moved_to_dead_letter_at >= $4::timestamptz)
  AND ($5::timestamptz IS NULL OR moved_to_dead_letter_at < $5::timestamptz)
  AND ($6::boolean IS NULL OR (COALESCE(resurrection_count, 0) > 0) = $6::boolean)
  AND ($7::text IS NULL OR NOT EXISTS (
        SELECT 1 FROM json_each_text($7::text::json) AS want
        WHERE (/* dead_letter_tags_object */) ->> want.key IS DISTINCT FROM want.value))
