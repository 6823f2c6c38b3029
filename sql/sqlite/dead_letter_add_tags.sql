-- :id, :tags (a JSON object of scalars) merged into the row's tags in one statement; the result is
-- always a JSON object (a double-encoded value is decoded first, anything else is replaced).
UPDATE soniq_dead_letter_jobs
SET tags = json_patch(/* dead_letter_tags_object */, :tags)
WHERE id = :id
