-- A row's tags as a JSON object, or NULL. Spliced where a statement says /* dead_letter_tags_object */.
-- Python's mark_job_dead_letter stores tags double-encoded (a JSONB string holding the JSON object):
-- those are decoded too, so Python-written tags show, filter and merge like ours. (Python writes
-- json.dumps output, so a string that starts with "{" is a JSON object.)
CASE
    WHEN jsonb_typeof(tags) = 'object' THEN tags
    WHEN jsonb_typeof(tags) = 'string' AND left(ltrim(tags #>> '{}'), 1) = '{' THEN (tags #>> '{}')::jsonb
END
