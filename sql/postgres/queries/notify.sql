-- $1: JSON array of queue names; one NOTIFY per distinct queue.
SELECT pg_notify('soniq_new_job', q) FROM json_array_elements_text($1::text::json) AS q
