-- The open book by arrears bucket at the latest snapshot on or before the day given.
-- Parameters: as-of day (twice).
WITH latest AS (
  SELECT max(snapshot_date) AS day FROM fact_arrears_daily
  WHERE snapshot_date <= CAST(? AS DATE)
)
SELECT s.bucket,
       count(*) AS loans,
       count(DISTINCT s.customer_key) AS customers,
       sum(s.balance_pence) AS balance_pence,
       sum(s.arrears_pence) AS arrears_pence,
       max(latest.day) AS snapshot_date
FROM fact_arrears_daily s JOIN latest ON s.snapshot_date = latest.day
WHERE s.snapshot_date <= CAST(? AS DATE)
GROUP BY s.bucket
ORDER BY CASE s.bucket WHEN 'current' THEN 0 WHEN '1-30' THEN 1 WHEN '31-60' THEN 2
                       WHEN '61-90' THEN 3 ELSE 4 END
