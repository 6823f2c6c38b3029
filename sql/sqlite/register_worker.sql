-- On (hostname, pid) conflict the existing row and its id are kept and reactivated.
INSERT INTO soniq_workers (id, hostname, pid, queues, concurrency, status, last_heartbeat, started_at, version, metadata)
VALUES (:id, :hostname, :pid, :queues, :concurrency, 'active', :now, :now, :version, :metadata)
ON CONFLICT (hostname, pid) DO UPDATE SET
    status = 'active', queues = excluded.queues, concurrency = excluded.concurrency, last_heartbeat = excluded.last_heartbeat,
    started_at = excluded.started_at, version = excluded.version, metadata = excluded.metadata
RETURNING id
