-- $1 id, $2 tags (a JSON object) merged into the row's tags in one statement; the result is always a
-- JSON object (a Python double-encoded value is decoded first, anything else is replaced).
UPDATE soniq_dead_letter_jobs
SET tags = COALESCE(/* dead_letter_tags_object */, '{}'::jsonb) || $2::text::jsonb
WHERE id = $1::uuid
