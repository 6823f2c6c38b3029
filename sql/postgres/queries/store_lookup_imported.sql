-- soniq migrate-store: which of the [kind, key] pairs in $1 (JSON array) an earlier copy recorded.
-- Only run when soniq_store_imports exists (see store_ledger_create.sql).
SELECT kind, key
FROM soniq_store_imports
WHERE (kind, key) IN (SELECT k->>0, k->>1 FROM json_array_elements($1::text::json) AS k)
