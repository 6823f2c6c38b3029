DELETE FROM soniq_dead_letter_jobs WHERE id = :id
