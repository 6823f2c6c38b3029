-- soniq migrate-store: copies into one database take turns (released at commit or rollback).
SELECT pg_advisory_xact_lock(hashtextextended('soniq.store_import', 0))
