UPDATE soniq_workers SET last_heartbeat = :now, status = 'active', metadata = COALESCE(:metadata, metadata) WHERE id = :id
