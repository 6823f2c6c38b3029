DELETE FROM soniq_leases WHERE name = :name AND owner = :owner
