-- SQLite schema for Soniq: the Postgres tables column for column, with SQLite types.
-- Timestamps are INTEGER milliseconds since the epoch (numeric comparisons, no string dates),
-- JSON is TEXT, booleans are 0/1. Every statement is idempotent: initialize() and setup() both run it.
CREATE TABLE IF NOT EXISTS soniq_migrations (
    id INTEGER PRIMARY KEY,
    version TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    checksum TEXT
);

CREATE TABLE IF NOT EXISTS soniq_workers (
    id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    pid INTEGER NOT NULL,
    queues TEXT NOT NULL DEFAULT '[]',
    concurrency INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopping', 'stopped')),
    last_heartbeat INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    version TEXT,
    metadata TEXT DEFAULT '{}',
    UNIQUE (hostname, pid)
);

-- No foreign key from soniq_jobs.worker_id: SQLite only enforces them with PRAGMA foreign_keys,
-- and rescue treats a job whose worker row is gone like an ownerless one (what ON DELETE SET NULL gives Postgres).
CREATE TABLE IF NOT EXISTS soniq_jobs (
    id TEXT PRIMARY KEY,
    job_name TEXT NOT NULL,
    args TEXT NOT NULL,
    args_hash TEXT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'done', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    queue TEXT NOT NULL DEFAULT 'default',
    priority INTEGER NOT NULL DEFAULT 100,
    unique_job INTEGER NOT NULL DEFAULT 0,
    dedup_key TEXT,
    scheduled_at INTEGER,
    expires_at INTEGER,
    last_error TEXT,
    result TEXT,
    producer_id TEXT,
    worker_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    -- COALESCE(scheduled_at, created_at), materialised so the claim can walk an index in claim order.
    run_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_claim ON soniq_jobs (status, priority, run_at, id);
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_claim_queue ON soniq_jobs (queue, status, priority, run_at, id);
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_processing_worker ON soniq_jobs (worker_id) WHERE status = 'processing';
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_expires_at ON soniq_jobs (expires_at) WHERE expires_at IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS idx_soniq_jobs_unique_queued ON soniq_jobs (job_name, args_hash) WHERE status = 'queued' AND unique_job = 1;
CREATE UNIQUE INDEX IF NOT EXISTS idx_soniq_jobs_dedup_key ON soniq_jobs (dedup_key) WHERE status = 'queued' AND dedup_key IS NOT NULL;

CREATE TABLE IF NOT EXISTS soniq_dead_letter_jobs (
    id TEXT PRIMARY KEY,
    job_name TEXT NOT NULL,
    args TEXT NOT NULL,
    queue TEXT NOT NULL,
    priority INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    dead_letter_reason TEXT NOT NULL,
    original_created_at INTEGER NOT NULL,
    moved_to_dead_letter_at INTEGER NOT NULL,
    resurrection_count INTEGER NOT NULL DEFAULT 0,
    last_resurrection_at INTEGER,
    tags TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_soniq_dead_letter_moved_at ON soniq_dead_letter_jobs (moved_to_dead_letter_at);

CREATE TABLE IF NOT EXISTS soniq_recurring_jobs (
    id TEXT PRIMARY KEY,
    job_name TEXT NOT NULL UNIQUE,
    schedule_type TEXT NOT NULL CHECK (schedule_type IN ('interval', 'cron')),
    schedule_value TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 100,
    queue TEXT NOT NULL DEFAULT 'default',
    max_attempts INTEGER NOT NULL DEFAULT 3,
    job_kwargs TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    created_at INTEGER NOT NULL,
    last_run INTEGER,
    next_run INTEGER,
    run_count INTEGER NOT NULL DEFAULT 0,
    last_job_id TEXT,
    updated_at INTEGER NOT NULL
);

-- Leader leases stand in for Postgres advisory locks (see withLeaderLock).
CREATE TABLE IF NOT EXISTS soniq_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
