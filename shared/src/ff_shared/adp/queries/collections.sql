-- Collections against schedule per month in [first day, last day]: what fell due, and what
-- was received net of reversals (a charge-back counts against the month it was reversed in).
-- Parameters: first day, last day (twice each).
WITH due AS (
  SELECT date_trunc('month', i.due_date) AS month,
         sum(i.amount_pence) AS scheduled_pence,
         count(DISTINCT l.customer_key) AS customers
  FROM fact_instalments i JOIN fact_loans l ON l.agreement_number = i.agreement_number
  WHERE i.due_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
  GROUP BY date_trunc('month', i.due_date)
),
received AS (
  SELECT date_trunc('month', p.transaction_date) AS month,
         sum(CASE WHEN p.type = 'payment' THEN p.amount_pence ELSE -p.amount_pence END)
           AS collected_pence
  FROM fact_payments p
  WHERE p.type IN ('payment', 'payment_reversal')
    AND p.transaction_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
  GROUP BY date_trunc('month', p.transaction_date)
)
SELECT CAST(due.month AS DATE) AS month,
       due.scheduled_pence,
       coalesce(received.collected_pence, 0) AS collected_pence,
       CAST(coalesce(received.collected_pence, 0) AS DOUBLE) / nullif(due.scheduled_pence, 0)
         AS collection_rate,
       due.customers
FROM due LEFT JOIN received ON received.month = due.month
ORDER BY month
