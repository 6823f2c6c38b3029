-- soniq migrate-store: the copy ledger of this store, created by the first copy into it (in its transaction).
-- One row per job id, dead-letter id or schedule name copied in (or found already here), so a second run never
-- copies a job again, even after a worker ran and removed it. Safe to drop once the source store is gone.
CREATE TABLE IF NOT EXISTS soniq_store_imports (
    kind TEXT NOT NULL CHECK (kind IN ('job', 'dead_letter', 'schedule')),
    key TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
)
