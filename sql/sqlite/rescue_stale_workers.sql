-- First half of the rescue (same transaction as rescue_stale_jobs.sql): silent workers are marked
-- stopped. Workers that heartbeat from a thread of their own (metadata.heartbeat = 'thread') are
-- silent after :thread_cutoff, the others after :cutoff (see the Postgres rescue_stale.sql).
UPDATE soniq_workers SET status = 'stopped'
WHERE status <> 'stopped'
  AND last_heartbeat < CASE WHEN json_valid(metadata) AND json_extract(metadata, '$.heartbeat') = 'thread' THEN :thread_cutoff ELSE :cutoff END
