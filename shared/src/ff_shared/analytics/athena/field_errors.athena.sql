-- The funnel's top_field_errors on Athena: validation errors per step and field for the
-- sessions that started in the range, as ff_shared/stores/postgres/tracker.py (funnel_counts)
-- reads them from tracker.session_field_errors.
--
-- Execution parameters, in order: environment, form, first day ('YYYY-MM-DD', twice), last day
-- ('YYYY-MM-DD').
WITH raw AS (
  SELECT
    event_id, session_id, type, step, field, error_code, client_time,
    row_number() OVER (PARTITION BY event_id ORDER BY received_at) AS copy
  FROM tracker_events
  WHERE environment = ?
    AND form = ?
    AND dt >= ?
),
events AS (
  SELECT event_id, session_id, type, step, field, error_code,
         from_iso8601_timestamp(client_time) AS at
  FROM raw
  WHERE copy = 1
),
started AS (
  SELECT session_id
  FROM events
  GROUP BY session_id
  HAVING min(at) >= from_iso8601_timestamp(? || 'T00:00:00Z')
     AND min(at) < from_iso8601_timestamp(? || 'T00:00:00Z') + INTERVAL '1' DAY
)
SELECT e.step, e.field, e.error_code, count(*) AS errors, count(DISTINCT e.session_id) AS sessions
FROM events e
JOIN started s ON s.session_id = e.session_id
WHERE e.type = 'field_error'
GROUP BY e.step, e.field, e.error_code
ORDER BY e.step, errors DESC, e.field, e.error_code
