DELETE FROM soniq_jobs WHERE status = 'done' AND expires_at < now()
