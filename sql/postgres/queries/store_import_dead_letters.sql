-- soniq migrate-store: copied dead-letter rows, as they were ($1: JSON array of rows; args and tags embedded as JSON).
INSERT INTO soniq_dead_letter_jobs (id, job_name, args, queue, priority, max_attempts, attempts, last_error, dead_letter_reason,
                                    original_created_at, moved_to_dead_letter_at, resurrection_count, last_resurrection_at, tags, created_at)
SELECT r.id, r.job_name, r.args, r.queue, r.priority, r.max_attempts, r.attempts, r.last_error, r.reason,
       r.original_created_at, r.moved_at, r.resurrection_count, r.last_resurrection_at, r.tags, r.created_at
FROM json_to_recordset($1::text::json) AS r(id uuid, job_name text, args jsonb, queue text, priority int, max_attempts int, attempts int,
                                          last_error text, reason text, original_created_at timestamptz, moved_at timestamptz,
                                          resurrection_count int, last_resurrection_at timestamptz, tags jsonb, created_at timestamptz)
