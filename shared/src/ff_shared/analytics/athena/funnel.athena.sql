-- The staff funnel (GET /v1/staff/analytics/funnel) computed on Athena over the raw lake: the
-- same definitions as the PostgreSQL query in ff_shared/stores/postgres/tracker.py
-- (funnel_counts), which reads the sessions the processor folded from these same fields.
--
-- Execution parameters, in order: environment, form, first day ('YYYY-MM-DD', twice), last day
-- ('YYYY-MM-DD'), window in days (twice). ${steps} is the form's steps in order, as an ARRAY
-- literal, filled in by ff_shared.analytics.athena.funnel_query(form).
--
-- Output: one row per furthest stage with the sessions that stopped there (stage 0 = landed,
-- 1..n = the form's steps, n + 1 = submitted within the window), per source and device, exactly
-- what build_funnel() turns into the API's response.
WITH raw AS (
  SELECT
    event_id, session_id, type, form, step, client_time, received_at, context,
    row_number() OVER (PARTITION BY event_id ORDER BY received_at) AS copy
  FROM tracker_events
  WHERE environment = ?
    AND form = ?
    AND dt >= ?  -- arrival partitions: nothing of a session arrives before it started
),
events AS (
  -- the lake is at-least-once: one row per event id
  SELECT
    event_id, session_id, type, step, context,
    from_iso8601_timestamp(client_time) AS at
  FROM raw
  WHERE copy = 1
),
sessions AS (
  SELECT
    session_id,
    min(at) AS started,
    min(CASE WHEN type = 'form_submit' THEN at END) AS submitted_at,
    -- first touch: the earliest event that carried a context
    min_by(
      coalesce(lower(trim(context.utm_source)), regexp_extract(context.referrer, '^[a-z]+://(?:www\.)?([^/:]+)', 1), 'direct'),
      CASE WHEN context IS NOT NULL THEN to_unixtime(at) * 1e3 END
    ) AS source,
    min_by(context.device_class, CASE WHEN context IS NOT NULL THEN to_unixtime(at) * 1e3 END) AS device
  FROM events
  GROUP BY session_id
  HAVING min(at) >= from_iso8601_timestamp(? || 'T00:00:00Z')
     AND min(at) < from_iso8601_timestamp(? || 'T00:00:00Z') + INTERVAL '1' DAY
),
reach AS (
  SELECT
    s.session_id,
    s.source,
    coalesce(s.device, 'unknown') AS device,
    CASE
      WHEN s.submitted_at IS NOT NULL
        AND s.submitted_at <= s.started + (? * INTERVAL '1' DAY)
      THEN cardinality(${steps}) + 1
      ELSE coalesce(max(array_position(${steps}, e.step)), 0)
    END AS stage
  FROM sessions s
  LEFT JOIN events e
    ON e.session_id = s.session_id
   AND e.step IS NOT NULL
   AND e.at <= s.started + (? * INTERVAL '1' DAY)
  GROUP BY s.session_id, s.source, s.device, s.submitted_at, s.started
)
SELECT source, device, stage, count(*) AS sessions
FROM reach
GROUP BY source, device, stage
ORDER BY source, device, stage
