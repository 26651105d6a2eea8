-- Applications and loans by one dimension for [first day, last day]: ${app_group} and
-- ${loan_group} are the dimension's column on each fact (product, term band, source or region),
-- filled in from a fixed list by ff_shared.adp.engine.breakdown_query.
-- Parameters: first day, last day, first day, last day, as-of day (the last day).
WITH apps AS (
  SELECT ${app_group} AS grp,
         count(*) AS submitted,
         sum(CASE WHEN a.final_outcome = 'approved' THEN 1 ELSE 0 END) AS approved,
         sum(CASE WHEN a.final_outcome = 'declined' THEN 1 ELSE 0 END) AS declined,
         count(DISTINCT a.customer_key) AS customers
  FROM fact_applications a
  LEFT JOIN dim_term t ON t.term_months = a.requested_term_months
  WHERE CAST(a.submitted_at AS DATE) BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
  GROUP BY ${app_group}
),
loans AS (
  SELECT ${loan_group} AS grp,
         count(*) AS funded,
         sum(l.advance_pence) AS funded_pence,
         count(DISTINCT l.customer_key) AS customers
  FROM fact_loans l
  LEFT JOIN dim_term t ON t.term_months = l.term_months
  WHERE l.start_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
  GROUP BY ${loan_group}
),
book AS (
  SELECT ${loan_group} AS grp,
         count(*) AS open_loans,
         sum(CASE WHEN s.days_past_due > 30 THEN 1 ELSE 0 END) AS over_30,
         count(DISTINCT s.customer_key) AS customers
  FROM fact_arrears_daily s
  JOIN fact_loans l ON l.agreement_number = s.agreement_number
  LEFT JOIN dim_term t ON t.term_months = l.term_months
  WHERE s.snapshot_date = (SELECT max(snapshot_date) FROM fact_arrears_daily
                           WHERE snapshot_date <= CAST(? AS DATE))
  GROUP BY ${loan_group}
),
groups AS (
  SELECT grp FROM apps UNION SELECT grp FROM loans UNION SELECT grp FROM book
)
SELECT g.grp AS "group",
       coalesce(a.submitted, 0) AS submitted,
       coalesce(a.approved, 0) AS approved,
       CAST(a.approved AS DOUBLE) / nullif(a.approved + a.declined, 0) AS approval_rate,
       coalesce(l.funded, 0) AS funded,
       coalesce(l.funded_pence, 0) AS funded_pence,
       CAST(b.over_30 AS DOUBLE) / nullif(b.open_loans, 0) AS arrears_rate,
       coalesce(a.customers, 0) AS application_customers,
       coalesce(l.customers, 0) AS loan_customers,
       coalesce(b.customers, 0) AS book_customers
FROM groups g
LEFT JOIN apps a ON a.grp = g.grp
LEFT JOIN loans l ON l.grp = g.grp
LEFT JOIN book b ON b.grp = g.grp
ORDER BY g.grp
