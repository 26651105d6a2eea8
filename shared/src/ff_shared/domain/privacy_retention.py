"""How long erasure may keep what a loan needs, and what the retention register holds.

A loan's record and the open-banking evidence of its creditworthiness assessment are kept for
the life of the agreement and six years after (FCA CONC 5.2A; the limitation period), its
identity documents five years after the relationship ends (Money Laundering Regulations 2017,
reg. 40). The agreement's life is its term from when the offer was accepted. Each kept item is
entered in the retention register with the date it goes; the retention job deletes it then.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date

import msgspec

from ff_shared.domain.records import ApplicationRecord

LOAN_RECORD_YEARS = 6
DOCUMENT_YEARS = 5

ERASURE_BASIS = "UK GDPR Art 17(1): erased at the customer's request"
OPEN_BANKING_REASON = (
    "open-banking evidence of the creditworthiness assessment of a loan that was taken: kept "
    "for the life of the agreement and six years after (FCA CONC 5.2A, limitation period)"
)


class HoldKind(enum.StrEnum):
    """What a retention hold keeps, and so what the retention job deletes when it ends."""

    LOAN_RECORD = "loan_record"
    """The anonymised loan application: deleted outright."""
    DOCUMENT = "document"
    """A document kept as evidence: its S3 object deleted, its record marked erased."""
    OPEN_BANKING = "open_banking"
    """An application's open-banking archive (``obv.*`` rows): deleted."""


class Erased(msgspec.Struct, frozen=True, kw_only=True):
    """One thing erasure removed (or, for the CRM, asked to be emptied)."""

    what: str
    where: str
    count: int = 1
    basis: str = ERASURE_BASIS


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def loan_ends(record: ApplicationRecord) -> date:
    """The last day of the agreement: its term from when the offer was accepted."""
    offer = record.offer
    if offer is None:
        return record.updated_at.date()
    started = (offer.responded_at or offer.made_at).date()
    return add_months(started, offer.offer.term_months)


def loan_record_until(record: ApplicationRecord) -> date:
    return add_months(loan_ends(record), 12 * LOAN_RECORD_YEARS)


def document_until(record: ApplicationRecord) -> date:
    return add_months(loan_ends(record), 12 * DOCUMENT_YEARS)
