"""The payment provider (Direct Debit and pay-now): GoCardless's API is the reference shape."""
