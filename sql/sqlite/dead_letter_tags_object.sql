-- A row's tags as JSON object text, or '{}'. Spliced where a statement says /* dead_letter_tags_object */.
-- A JSON string holding an object (how Python double-encodes tags) is decoded too; anything else
-- (NULL, invalid JSON, arrays, scalars) counts as no tags. Nested CASEs: json_type() of invalid JSON
-- is an error, so validity is checked first.
CASE
    WHEN NOT json_valid(tags) THEN '{}'
    WHEN json_type(tags) = 'object' THEN tags
    WHEN json_type(tags) = 'text' THEN
        CASE WHEN json_valid(tags ->> '$') THEN CASE WHEN json_type(tags ->> '$') = 'object' THEN tags ->> '$' ELSE '{}' END ELSE '{}' END
    ELSE '{}'
END
