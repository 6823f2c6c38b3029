UPDATE soniq_workers SET status = 'stopped', last_heartbeat = :now WHERE id = :id
