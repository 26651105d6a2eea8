"""Customers: their own profile, and the staff's view and edits of a customer's file."""
