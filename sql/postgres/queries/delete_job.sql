DELETE FROM soniq_jobs WHERE id = $1::uuid
