"""The open-banking archive as rules. No I/O.

A report is archived twice over: as the provider sent it (its canonical JSON and that JSON's
SHA-256, :mod:`.payloads`) and as rows (the platform's ``OpenBankingReport``: accounts, balances,
transactions in signed pence). Before that, :func:`.reports.validate_report` judges a
:class:`.reports.ProviderReport` and gives every reason it cannot be archived, each with a stable
code and a path into the payload. :mod:`.verification` is the arithmetic ``ff obv-verify``
re-does years later.
"""
