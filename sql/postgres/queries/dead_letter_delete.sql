DELETE FROM soniq_dead_letter_jobs WHERE id = $1::uuid
