CREATE TABLE IF NOT EXISTS soniq_recurring_jobs (
    id UUID PRIMARY KEY,
    job_name TEXT NOT NULL,
    schedule_type TEXT NOT NULL CHECK (schedule_type IN ('interval', 'cron')),
    schedule_value TEXT NOT NULL,
    priority INT NOT NULL DEFAULT 100,
    queue TEXT NOT NULL DEFAULT 'default',
    max_attempts INT NOT NULL DEFAULT 3,
    job_kwargs JSONB NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    created_at TIMESTAMPTZ DEFAULT NOW(),
    last_run TIMESTAMPTZ,
    next_run TIMESTAMPTZ,
    run_count INT NOT NULL DEFAULT 0,
    last_job_id UUID,
    updated_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_soniq_recurring_jobs_status ON soniq_recurring_jobs (status);
CREATE INDEX IF NOT EXISTS idx_soniq_recurring_jobs_next_run ON soniq_recurring_jobs (next_run);
