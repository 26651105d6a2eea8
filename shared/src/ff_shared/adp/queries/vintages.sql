-- Vintage curves: for each origination month, the cumulative share of its loans that had been
-- more than 30 days past due, and that had defaulted (90+ days or written off), by months on
-- book, at each month end up to the day given.
-- Parameters: as-of day.
WITH month_ends AS (
  SELECT date AS day FROM dim_date WHERE is_month_end AND date <= CAST(? AS DATE)
)
SELECT l.origination_month,
       date_diff('month', l.origination_month, m.day) AS months_on_book,
       count(*) AS loans,
       count(DISTINCT l.customer_key) AS customers,
       CAST(sum(CASE WHEN l.first_arrears_date <= m.day THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS arrears_rate,
       CAST(sum(CASE WHEN l.default_date <= m.day THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS default_rate
FROM fact_loans l JOIN month_ends m ON m.day >= l.origination_month
GROUP BY l.origination_month, date_diff('month', l.origination_month, m.day)
ORDER BY l.origination_month, months_on_book
