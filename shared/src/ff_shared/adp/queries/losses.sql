-- Default and write-off rates by origination quarter, as at the day given.
-- Parameters: as-of day (three times).
SELECT CAST(date_trunc('quarter', l.origination_month) AS DATE) AS quarter,
       count(*) AS loans,
       count(DISTINCT l.customer_key) AS customers,
       sum(l.advance_pence) AS advanced_pence,
       CAST(sum(CASE WHEN l.default_date <= CAST(? AS DATE) THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS default_rate,
       CAST(sum(CASE WHEN l.written_off_date <= CAST(? AS DATE) THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS write_off_rate,
       CAST(sum(CASE WHEN l.written_off_date <= CAST(? AS DATE) THEN l.written_off_pence ELSE 0 END)
            AS DOUBLE) / sum(l.advance_pence) AS write_off_volume_rate
FROM fact_loans l
GROUP BY date_trunc('quarter', l.origination_month)
ORDER BY quarter
