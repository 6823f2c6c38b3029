-- Tests only: every job, dead letter, schedule and worker goes.
DELETE FROM soniq_jobs;
DELETE FROM soniq_dead_letter_jobs;
DELETE FROM soniq_recurring_jobs;
DELETE FROM soniq_workers;
