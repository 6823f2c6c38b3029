-- Python Soniq records this version; the tables exist so a shared database stays valid for it.
CREATE TABLE IF NOT EXISTS soniq_webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT,
    events JSONB,
    active BOOLEAN DEFAULT TRUE,
    max_retries INT DEFAULT 3,
    timeout_seconds INT DEFAULT 30,
    headers JSONB,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE TABLE IF NOT EXISTS soniq_webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES soniq_webhook_endpoints(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    payload JSONB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INT DEFAULT 0,
    max_attempts INT DEFAULT 3,
    next_retry_at TIMESTAMPTZ,
    last_error TEXT,
    response_status INT,
    response_body TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    delivered_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS idx_soniq_webhook_deliveries_status ON soniq_webhook_deliveries (status);
CREATE INDEX IF NOT EXISTS idx_soniq_webhook_deliveries_next_retry ON soniq_webhook_deliveries (next_retry_at);
CREATE INDEX IF NOT EXISTS idx_soniq_webhook_deliveries_endpoint ON soniq_webhook_deliveries (endpoint_id);
