-- Replay, second half (same transaction as dead_letter_replay.sql): the dead-letter row stays, with its
-- resurrection count bumped.
UPDATE soniq_dead_letter_jobs
SET resurrection_count = resurrection_count + 1, last_resurrection_at = :now
WHERE id = :id
