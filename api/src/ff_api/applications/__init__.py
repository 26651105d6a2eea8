"""Loan applications: the customer's journey, the public form, and the staff's review."""
