-- soniq migrate-store: record one [kind, key] pair in the copy ledger.
INSERT INTO soniq_store_imports (kind, key, imported_at) VALUES (:kind, :key, :now)
ON CONFLICT (kind, key) DO NOTHING
