-- Why applications submitted in [first day, last day] were declined, most frequent first.
-- Parameters: first day, last day.
SELECT coalesce(a.decline_reason, 'other') AS reason,
       count(*) AS applications,
       count(DISTINCT a.customer_key) AS customers
FROM fact_applications a
WHERE a.final_outcome = 'declined'
  AND CAST(a.submitted_at AS DATE) BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
GROUP BY coalesce(a.decline_reason, 'other')
ORDER BY applications DESC, reason
