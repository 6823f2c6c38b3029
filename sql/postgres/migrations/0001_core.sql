-- Core tables, column-for-column compatible with Python Soniq 0.0.3 (reference/postgres-contract.md).
CREATE TABLE IF NOT EXISTS soniq_workers (
    id UUID PRIMARY KEY,
    hostname TEXT NOT NULL,
    pid INTEGER NOT NULL,
    queues TEXT[] DEFAULT '{}',
    concurrency INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopping', 'stopped')),
    last_heartbeat TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    version TEXT,
    metadata JSONB DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS idx_soniq_workers_last_heartbeat ON soniq_workers (last_heartbeat);
CREATE INDEX IF NOT EXISTS idx_soniq_workers_status ON soniq_workers (status);
CREATE UNIQUE INDEX IF NOT EXISTS idx_soniq_workers_host_pid ON soniq_workers (hostname, pid);

CREATE TABLE IF NOT EXISTS soniq_jobs (
    id UUID PRIMARY KEY,
    job_name TEXT NOT NULL,
    args JSONB NOT NULL,
    args_hash TEXT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'done', 'cancelled')),
    attempts INT DEFAULT 0,
    max_attempts INT DEFAULT 3,
    queue TEXT DEFAULT 'default',
    priority INT DEFAULT 100,
    unique_job BOOLEAN DEFAULT FALSE,
    dedup_key TEXT,
    scheduled_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    last_error TEXT,
    result JSONB,
    producer_id TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW()
);
ALTER TABLE soniq_jobs ADD COLUMN IF NOT EXISTS worker_id UUID;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'soniq_jobs_worker_id_fkey') THEN
        ALTER TABLE soniq_jobs ADD CONSTRAINT soniq_jobs_worker_id_fkey
            FOREIGN KEY (worker_id) REFERENCES soniq_workers(id) ON DELETE SET NULL;
    END IF;
END $$;

CREATE INDEX IF NOT EXISTS idx_soniq_jobs_status_priority ON soniq_jobs (status, priority) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_queue_status ON soniq_jobs (queue, status);
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_queue_status_priority ON soniq_jobs (queue, status, priority, scheduled_at) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_scheduled_at ON soniq_jobs (scheduled_at) WHERE scheduled_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_expires_at ON soniq_jobs (expires_at) WHERE expires_at IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS idx_soniq_jobs_unique_queued ON soniq_jobs (job_name, args_hash) WHERE status = 'queued' AND unique_job = TRUE;
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_args_hash ON soniq_jobs (args_hash) WHERE unique_job = TRUE;
CREATE UNIQUE INDEX IF NOT EXISTS idx_soniq_jobs_dedup_key ON soniq_jobs (dedup_key) WHERE status = 'queued' AND dedup_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_soniq_jobs_worker_id ON soniq_jobs (worker_id) WHERE worker_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS soniq_task_registry (
    task_name TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    args_model_repr TEXT,
    PRIMARY KEY (task_name, worker_id)
);
CREATE INDEX IF NOT EXISTS idx_soniq_task_registry_task_name ON soniq_task_registry (task_name);
