"""Loans from the loan book: the customer's own, and staff's view per customer."""
