-- soniq migrate-store: which of the [kind, key] pairs in :pairs (JSON array) an earlier copy recorded.
-- Only run when soniq_store_imports exists (store_ledger_exists.sql).
SELECT i.kind, i.key
FROM soniq_store_imports AS i
JOIN json_each(:pairs) AS k ON json_extract(k.value, '$[0]') = i.kind AND json_extract(k.value, '$[1]') = i.key
