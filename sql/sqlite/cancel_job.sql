UPDATE soniq_jobs SET status = 'cancelled', updated_at = :now WHERE id = :id AND status = 'queued'
