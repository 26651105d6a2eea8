"""Repayments: Direct Debit mandates, collections, pay-now, forbearance, provider webhooks."""
