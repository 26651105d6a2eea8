-- Headline KPIs for one period [first day, last day], one row per metric with the customers
-- behind it (for small-cell suppression). Run once for the period and once for the one before.
-- Parameters: first day, last day.
WITH bounds AS (
  SELECT CAST(? AS DATE) AS d_from, CAST(? AS DATE) AS d_to
),
apps AS (
  SELECT a.*, CAST(a.created_at AS DATE) AS created_day, CAST(a.submitted_at AS DATE) AS submitted_day
  FROM fact_applications a
),
submitted AS (
  SELECT apps.* FROM apps, bounds WHERE submitted_day BETWEEN d_from AND d_to
),
decided AS (
  SELECT customer_key, date_diff('second', submitted_at, final_decided_at) / 3600.0 AS hours
  FROM submitted
  WHERE final_outcome IN ('approved', 'declined')
),
decided_ranked AS (
  SELECT hours, row_number() OVER (ORDER BY hours) AS rn, count(*) OVER () AS n FROM decided
),
funded AS (
  SELECT l.* FROM fact_loans l, bounds WHERE l.start_date BETWEEN d_from AND d_to
),
funding_time AS (
  SELECT f.customer_key, date_diff('second', a.submitted_at, f.funded_at) / 86400.0 AS days
  FROM funded f JOIN fact_applications a ON a.application_id = f.application_id
  WHERE a.submitted_at IS NOT NULL
),
funding_ranked AS (
  SELECT days, row_number() OVER (ORDER BY days) AS rn, count(*) OVER () AS n FROM funding_time
),
accepted AS (
  SELECT a.customer_key
  FROM fact_offers o JOIN fact_applications a ON a.application_id = o.application_id, bounds
  WHERE o.response = 'accepted' AND CAST(o.responded_at AS DATE) BETWEEN d_from AND d_to
),
received AS (
  SELECT p.agreement_number,
         sum(CASE WHEN p.type = 'payment' THEN p.amount_pence
                  WHEN p.type = 'payment_reversal' THEN -p.amount_pence ELSE 0 END) AS paid,
         sum(CASE WHEN p.type = 'write_off' THEN p.amount_pence ELSE 0 END) AS written_off
  FROM fact_payments p, bounds
  WHERE p.transaction_date <= d_to
  GROUP BY p.agreement_number
),
book AS (
  SELECT l.customer_key,
         greatest(l.total_repayable_pence - coalesce(r.paid, 0) - coalesce(r.written_off, 0), 0) AS owed
  FROM fact_loans l CROSS JOIN bounds
  LEFT JOIN received r ON r.agreement_number = l.agreement_number
  WHERE l.start_date <= d_to
)
SELECT 'applications_started' AS metric, CAST(count(*) AS DOUBLE) AS value,
       count(DISTINCT customer_key) AS customers
FROM apps, bounds WHERE created_day BETWEEN d_from AND d_to
UNION ALL
SELECT 'applications_submitted', CAST(count(*) AS DOUBLE), count(DISTINCT customer_key) FROM submitted
UNION ALL
SELECT 'approved', CAST(count(*) AS DOUBLE), count(DISTINCT customer_key)
FROM submitted WHERE final_outcome = 'approved'
UNION ALL
SELECT 'referred', CAST(count(*) AS DOUBLE), count(DISTINCT customer_key)
FROM submitted WHERE final_outcome = 'referred'
UNION ALL
SELECT 'declined', CAST(count(*) AS DOUBLE), count(DISTINCT customer_key)
FROM submitted WHERE final_outcome = 'declined'
UNION ALL
SELECT 'approval_rate',
       CAST(sum(CASE WHEN final_outcome = 'approved' THEN 1 ELSE 0 END) AS DOUBLE) / nullif(count(*), 0),
       count(DISTINCT customer_key)
FROM submitted WHERE final_outcome IN ('approved', 'declined')
UNION ALL
SELECT 'median_hours_to_decision',
       (SELECT avg(hours) FROM decided_ranked
         WHERE rn IN (CAST(floor((n + 1) / 2.0) AS BIGINT), CAST(floor((n + 2) / 2.0) AS BIGINT))),
       (SELECT count(DISTINCT customer_key) FROM decided)
UNION ALL
SELECT 'median_days_to_funding',
       (SELECT avg(days) FROM funding_ranked
         WHERE rn IN (CAST(floor((n + 1) / 2.0) AS BIGINT), CAST(floor((n + 2) / 2.0) AS BIGINT))),
       (SELECT count(DISTINCT customer_key) FROM funding_time)
UNION ALL
SELECT 'offers_accepted', CAST(count(*) AS DOUBLE), count(DISTINCT customer_key) FROM accepted
UNION ALL
SELECT 'funded_count', CAST(count(*) AS DOUBLE), count(DISTINCT customer_key) FROM funded
UNION ALL
SELECT 'funded_volume_pence', CAST(coalesce(sum(advance_pence), 0) AS DOUBLE),
       count(DISTINCT customer_key)
FROM funded
UNION ALL
SELECT 'average_loan_pence', avg(CAST(advance_pence AS DOUBLE)), count(DISTINCT customer_key)
FROM funded
UNION ALL
SELECT 'average_term_months', avg(CAST(term_months AS DOUBLE)), count(DISTINCT customer_key)
FROM funded
UNION ALL
SELECT 'portfolio_balance_pence', CAST(coalesce(sum(owed), 0) AS DOUBLE),
       count(DISTINCT customer_key)
FROM book WHERE owed > 0
