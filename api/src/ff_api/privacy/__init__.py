"""Data-protection requests on a customer: subject access (export) and erasure."""
