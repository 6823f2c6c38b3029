SELECT id, hostname, pid, queues, concurrency, status, last_heartbeat, started_at, version, metadata
FROM soniq_workers ORDER BY started_at DESC
