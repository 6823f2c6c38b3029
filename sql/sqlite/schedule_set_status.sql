UPDATE soniq_recurring_jobs SET status = :status, updated_at = :now WHERE job_name = :name
