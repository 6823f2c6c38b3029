DELETE FROM soniq_recurring_jobs WHERE job_name = :name
