UPDATE soniq_jobs SET status = 'cancelled', updated_at = now() WHERE id = $1::uuid AND status = 'queued'
