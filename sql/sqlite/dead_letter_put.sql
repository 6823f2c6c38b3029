INSERT INTO soniq_dead_letter_jobs (id, job_name, args, queue, priority, max_attempts, attempts, last_error,
                                    dead_letter_reason, original_created_at, moved_to_dead_letter_at, resurrection_count, created_at)
VALUES (:id, :job_name, :args, :queue, :priority, :max_attempts, :attempts, :error, :reason, :original_created_at, :now, 0, :now)
ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
    dead_letter_reason = excluded.dead_letter_reason, moved_to_dead_letter_at = excluded.moved_to_dead_letter_at
