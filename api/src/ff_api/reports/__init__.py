"""Business and portfolio reports for staff, from the financial data platform."""
