-- Take the named lease if it is free or expired; a row comes back only when this owner now holds it.
INSERT INTO soniq_leases (name, owner, expires_at) VALUES (:name, :owner, :expires_at)
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE soniq_leases.expires_at <= :now
RETURNING owner
