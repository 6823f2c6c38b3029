UPDATE soniq_workers SET last_heartbeat = now(), status = 'active', metadata = COALESCE($2::text::jsonb, metadata) WHERE id = $1::uuid
