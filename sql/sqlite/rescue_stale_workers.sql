-- First half of the rescue (same transaction as rescue_stale_jobs.sql): silent workers are marked stopped.
UPDATE soniq_workers SET status = 'stopped'
WHERE status <> 'stopped' AND last_heartbeat < :cutoff
