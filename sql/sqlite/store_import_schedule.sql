-- soniq migrate-store: one copied schedule, as it was: status, next run and run history included.
INSERT INTO soniq_recurring_jobs (id, job_name, schedule_type, schedule_value, priority, queue, max_attempts, job_kwargs, status,
                                  created_at, last_run, next_run, run_count, last_job_id, updated_at)
VALUES (:id, :name, :schedule_type, :schedule_value, :priority, :queue, :max_attempts, COALESCE(json(:args), '{}'), :status,
        :created_at, :last_run, :next_run, :run_count, :last_job_id, :updated_at)
