-- A live worker (not stopped, heartbeat after :cutoff) holding this (hostname, pid): never taken over.
SELECT id FROM soniq_workers
WHERE hostname = :hostname AND pid = :pid AND status <> 'stopped' AND last_heartbeat > :cutoff
