-- The dead-letter filter of dead_letter_list, _count and _purge (spliced where they say
-- /* dead_letter_filter */). Unused filters are NULL: :job_names, :queues, :reasons (JSON arrays),
-- :since, :before (ms), :resurrected (0/1), :tags (a JSON object of key -> text: each key must be in
-- the row's tags with that value as text, as Python's `tags ->> key = value`).
(:job_names IS NULL OR job_name IN (SELECT value FROM json_each(:job_names)))
  AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
  AND (:reasons IS NULL OR dead_letter_reason IN (SELECT value FROM json_each(:reasons)))
  AND (:since IS NULL OR moved_to_dead_letter_at >= :since)
  AND (:before IS NULL OR moved_to_dead_letter_at < :before)
  AND (:resurrected IS NULL OR (resurrection_count > 0) = :resurrected)
  AND (:tags IS NULL OR NOT EXISTS (
        SELECT 1 FROM json_each(:tags) AS want
        WHERE NOT EXISTS (
            SELECT 1 FROM json_each(/* dead_letter_tags_object */) AS have
            WHERE have.key = want.key
              AND CASE have.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN NULL
                  ELSE CAST(have.value AS TEXT) END = want.value)))
