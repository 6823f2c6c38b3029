-- Soniq for Bun: additive hot-path migration (docs/storage.md explains each choice).
-- Claim indexes: only queued rows, in claim order (priority, run time, id), so done,
-- processing and dead rows are never scanned. "Run time" is COALESCE(scheduled_at, created_at):
-- NULL scheduled_at means "as soon as possible", which sorts by enqueue time.
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_claim
    ON soniq_jobs (priority, (COALESCE(scheduled_at, created_at)), id) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_claim_queue
    ON soniq_jobs (queue, priority, (COALESCE(scheduled_at, created_at)), id) WHERE status = 'queued';
-- Stale-worker rescue only looks at processing rows.
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_processing_worker
    ON soniq_jobs (worker_id) WHERE status = 'processing';

-- Every index is written on every state change of the hot table: drop the ones our claim
-- path replaces. Python's queries still work against the indexes above (possibly slower).
DROP INDEX IF EXISTS idx_soniq_jobs_status_priority;
DROP INDEX IF EXISTS idx_soniq_jobs_queue_status_priority;
DROP INDEX IF EXISTS idx_soniq_jobs_queue_status;
DROP INDEX IF EXISTS idx_soniq_jobs_scheduled_at;
DROP INDEX IF EXISTS idx_soniq_jobs_args_hash;
DROP INDEX IF EXISTS idx_soniq_jobs_worker_id;

-- A hot queue table churns: vacuum it early so dead tuples never pile up behind the claim.
ALTER TABLE soniq_jobs SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                            autovacuum_analyze_scale_factor = 0.02);

-- One schedule per task name (Python keeps this in code; we enforce it).
DELETE FROM soniq_recurring_jobs a USING soniq_recurring_jobs b
    WHERE a.job_name = b.job_name AND a.updated_at < b.updated_at;
CREATE UNIQUE INDEX IF NOT EXISTS idx_soniq_recurring_jobs_name ON soniq_recurring_jobs (job_name);
