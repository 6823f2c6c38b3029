DELETE FROM soniq_jobs WHERE id = :id
