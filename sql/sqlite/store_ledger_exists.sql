SELECT count(*) AS present FROM sqlite_master WHERE type = 'table' AND name = 'soniq_store_imports'
