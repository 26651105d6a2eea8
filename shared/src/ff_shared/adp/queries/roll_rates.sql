-- Roll rates: how loans moved between arrears buckets from one month end to the next, over the
-- twelve month ends up to the day given. A loan gone by the next month end was settled
-- ('closed') or written off ('written_off').
-- Parameters: as-of day.
WITH month_ends AS (
  SELECT DISTINCT s.snapshot_date AS day
  FROM fact_arrears_daily s JOIN dim_date d ON d.date = s.snapshot_date
  WHERE d.is_month_end AND s.snapshot_date <= CAST(? AS DATE)
),
pairs AS (
  SELECT day AS from_day, last_day_of_month(date_add('month', 1, day)) AS to_day
  FROM month_ends
  WHERE last_day_of_month(date_add('month', 1, day)) IN (SELECT day FROM month_ends)
),
recent AS (
  SELECT * FROM pairs ORDER BY from_day DESC LIMIT 12
),
moves AS (
  SELECT a.customer_key, a.bucket AS from_bucket,
         coalesce(b.bucket,
                  CASE WHEN l.written_off_date IS NOT NULL AND l.written_off_date <= r.to_day
                       THEN 'written_off' ELSE 'closed' END) AS to_bucket
  FROM recent r
  JOIN fact_arrears_daily a ON a.snapshot_date = r.from_day
  JOIN fact_loans l ON l.agreement_number = a.agreement_number
  LEFT JOIN fact_arrears_daily b
    ON b.snapshot_date = r.to_day AND b.agreement_number = a.agreement_number
)
SELECT from_bucket, to_bucket, count(*) AS loans, count(DISTINCT customer_key) AS customers,
       CAST(count(*) AS DOUBLE) / sum(count(*)) OVER (PARTITION BY from_bucket) AS rate
FROM moves
GROUP BY from_bucket, to_bucket
ORDER BY from_bucket, to_bucket
