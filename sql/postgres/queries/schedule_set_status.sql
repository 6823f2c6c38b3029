UPDATE soniq_recurring_jobs SET status = $2, updated_at = now() WHERE job_name = $1
