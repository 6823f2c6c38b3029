-- soniq migrate-store: record [kind, key] pairs ($1: JSON array) in the copy ledger.
INSERT INTO soniq_store_imports (kind, key)
SELECT k->>0, k->>1 FROM json_array_elements($1::text::json) AS k
ON CONFLICT (kind, key) DO NOTHING
