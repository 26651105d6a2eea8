"""The lending product: amounts and terms, review, documents, email, the loan book."""

from __future__ import annotations

import msgspec


class ProductSettings(msgspec.Struct, frozen=True, kw_only=True):
    min_amount_pence: int = 20_000
    """Smallest loan."""
    max_amount_pence: int = 300_000
    """Largest loan."""
    amount_step_pence: int = 5_000
    """Loan amounts are multiples of this above the minimum."""
    min_term_months: int = 3
    """Shortest term."""
    max_term_months: int = 24
    """Longest term."""
    annual_rate_bps: int = 3_600
    """Fixed nominal annual interest rate in basis points (3600 = 36%)."""


class LoanBookSettings(msgspec.Struct, frozen=True, kw_only=True):
    connection_string: str = (
        "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;"
        "Database=fairfinance_loanbook;Uid=postgres;"
    )
    """ODBC connection string of the loan book (SQL Server: ODBC Driver 18 for SQL Server)."""
    min_pool_size: int = 0
    """Connections opened at start-up (0: on first use; a loan book down never stops start-up)."""
    max_pool_size: int = 5
    """Largest aioodbc pool of loan-book connections."""
    connect_timeout_seconds: int = 5
    """Login timeout of a new loan-book connection."""
    query_timeout_seconds: int = 15
    """Longest a loan-book query may run before it is cancelled."""


class ReviewSettings(msgspec.Struct, frozen=True, kw_only=True):
    four_eyes_threshold_pence: int = 150_000
    """Approvals of more than this need a second, different senior underwriter."""


class DocumentSettings(msgspec.Struct, frozen=True, kw_only=True):
    bucket: str = "ff-documents"
    """S3 bucket holding customers' uploaded documents."""
    max_bytes: int = 10 * 1024 * 1024
    """Largest document accepted; the presigned upload policy enforces it."""
    upload_expires_seconds: int = 900
    """How long a presigned upload URL stays valid."""
    download_expires_seconds: int = 300
    """How long a presigned download URL stays valid."""


class EmailSettings(msgspec.Struct, frozen=True, kw_only=True):
    sender: str = "no-reply@fairfinance.example"
    """SES sender of customer e-mails (a verified identity)."""
