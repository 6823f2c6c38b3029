SELECT count(*) AS n
FROM soniq_dead_letter_jobs
WHERE (:job_names IS NULL OR job_name IN (SELECT value FROM json_each(:job_names)))
  AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
  AND (:reasons IS NULL OR dead_letter_reason IN (SELECT value FROM json_each(:reasons)))
  AND (:since IS NULL OR moved_to_dead_letter_at >= :since)
  AND (:before IS NULL OR moved_to_dead_letter_at < :before)
  AND (:resurrected IS NULL OR (resurrection_count > 0) = :resurrected)
