"""What the pipeline takes from each source: rows that carry no personal data.

The stores (``stores/*/adp.py``) read these; nothing else of a source reaches the lake. Customers
come as a salted one-way key (:func:`customer_key`), addresses as a postcode area only
(:func:`postcode_area`). Money is integer pence; times are UTC.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime

import msgspec

from ff_shared.domain.loans import TransactionType

_AREA = re.compile(r"^([A-Z]{1,2})[0-9]")


def postcode_area(postcode: str | None) -> str:
    """The letters before the first digit (``LS1 4AP`` -> ``LS``), or ``unknown``."""
    if not postcode:
        return "unknown"
    match = _AREA.match(postcode.strip().upper())
    return match[1] if match else "unknown"


def customer_key(customer_id: str | None, salt: str) -> str:
    """The same customer gives the same key in every source; the key gives back nothing."""
    if not customer_id:
        return "unknown"
    return hashlib.sha256(f"{salt}:{customer_id}".encode()).hexdigest()[:24]


class DecisionEvent(msgspec.Struct, frozen=True, kw_only=True):
    decided_by: str
    outcome: str
    reasons: tuple[str, ...]
    decided_at: datetime


class ApplicationRow(msgspec.Struct, frozen=True, kw_only=True):
    """An application from MongoDB, reduced to what analysis needs."""

    application_id: str
    customer_key: str
    status: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    decisions: tuple[DecisionEvent, ...] = ()
    """Engine decisions (each version, oldest first), then staff ones."""
    offer_made_at: datetime | None = None
    offer_amount_pence: int | None = None
    offer_term_months: int | None = None
    offer_instalment_pence: int | None = None
    offer_apr_percent: float | None = None
    offer_response: str | None = None
    offer_responded_at: datetime | None = None
    requested_amount_pence: int | None = None
    requested_term_months: int | None = None
    purpose: str | None = None
    employment_status: str | None = None
    postcode_area: str = "unknown"
    agreement_number: str | None = None


class CrmRow(msgspec.Struct, frozen=True, kw_only=True):
    """A Dynamics loan application: its platform id and the CRM's view of its status."""

    crm_id: str
    application_id: str | None
    status: int | None
    decision_outcome: int | None
    modified_at: datetime


class JourneyRow(msgspec.Struct, frozen=True, kw_only=True):
    """The journey tracker's first touch of the session that made an application."""

    application_id: str
    source: str
    utm_medium: str | None
    referrer_host: str | None


class AgreementRow(msgspec.Struct, frozen=True, kw_only=True):
    agreement_number: str
    application_id: str | None
    customer_key: str
    postcode_area: str
    product_code: str
    status: str
    advance_pence: int
    term_months: int
    instalment_pence: int
    total_repayable_pence: int
    balance_pence: int
    arrears_pence: int
    start_date: date
    created_at: datetime
    updated_at: datetime


class InstalmentRow(msgspec.Struct, frozen=True, kw_only=True):
    agreement_number: str
    number: int
    due_date: date
    amount_pence: int
    principal_pence: int
    interest_pence: int
    paid_pence: int
    status: str


class TransactionRow(msgspec.Struct, frozen=True, kw_only=True):
    transaction_id: int
    agreement_number: str
    type_id: int
    amount_pence: int
    transaction_date: date
    created_at: datetime


class LoanBookTotals(msgspec.Struct, frozen=True, kw_only=True):
    """The loan book's own counts and sums, which the lake must reproduce exactly."""

    agreements: int
    instalments: int
    transactions: int
    advance_pence: int
    balance_pence: int
    payments_pence: int
    """Payments net of their reversals (charge-backs, late failures)."""


TRANSACTION_TYPES = {int(t): t.label for t in TransactionType}
"""The loan book's transaction types as the lake names them (``fact_payments.type``)."""
