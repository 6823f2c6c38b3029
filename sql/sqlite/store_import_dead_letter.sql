-- soniq migrate-store: one copied dead-letter row, as it was.
INSERT INTO soniq_dead_letter_jobs (id, job_name, args, queue, priority, max_attempts, attempts, last_error, dead_letter_reason,
                                    original_created_at, moved_to_dead_letter_at, resurrection_count, last_resurrection_at, tags, created_at)
VALUES (:id, :job_name, json(:args), :queue, :priority, :max_attempts, :attempts, :last_error, :reason,
        :original_created_at, :moved_at, :resurrection_count, :last_resurrection_at, json(:tags), :created_at)
