-- $1 worker id, $2 JSON [{id, attempts, error, delay, refund}]: failed (or, with refund, snoozed)
-- attempts go back to queued through soniq_requeue_guarded (delay 0 keeps the job's original
-- place), which checks owner and attempt in its own UPDATE.
WITH d AS (
    SELECT d.id, d.attempts, d.error, d.delay, d.refund
    FROM json_to_recordset($2::text::json) AS d(id uuid, attempts int, error text, delay float8, refund boolean)
    ORDER BY d.id
)
SELECT soniq_requeue_guarded(ARRAY(SELECT id FROM d), array_fill($1::uuid, ARRAY[(SELECT count(*)::int FROM d)]),
                             ARRAY(SELECT attempts FROM d), ARRAY(SELECT error FROM d), ARRAY(SELECT delay FROM d),
                             ARRAY(SELECT refund FROM d)) AS n
