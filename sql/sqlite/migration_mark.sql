-- The whole SQLite schema is one version; 1 row changed means this call created it.
INSERT INTO soniq_migrations (version, name, applied_at, checksum) VALUES (:version, :name, :now, :checksum)
ON CONFLICT (version) DO NOTHING
