-- soniq migrate-store: whether an earlier copy created this store's copy ledger.
SELECT to_regclass('soniq_store_imports') IS NOT NULL AS present
