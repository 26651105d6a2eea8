"""The staff queue's filters and keyset positions over stored applications.

Pages are cut on (sort value, id), so applications that arrive while someone pages through the
queue never shift, repeat or hide items on later pages.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

import msgspec

from ff_shared.domain.lifecycle import SUBMITTED
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus

SortKey = Literal["submitted_at", "amount"]
SORT_PATHS: dict[str, str] = {"submitted_at": "submitted_at", "amount": "steps.loan.amount_pence"}
SortValue = int | datetime


class QueueFilter(msgspec.Struct, frozen=True, kw_only=True):
    statuses: tuple[ApplicationStatus, ...] = ()
    """Empty: every submitted status."""
    outcome: str | None = None
    assigned_to: str | None = None
    unassigned: bool = False
    min_amount_pence: int | None = None
    max_amount_pence: int | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    q: str | None = None


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """Where the previous page ended."""

    value: SortValue
    id: str


def _contains(word: str) -> dict[str, str]:
    return {"$regex": re.escape(word), "$options": "i"}


def text_clause(q: str) -> dict[str, Any] | None:
    """Every word must appear in the reference, the e-mail, or the first or last name."""
    words = q.split()
    if not words:
        return None
    return {
        "$and": [
            {
                "$or": [
                    {"reference": _contains(word)},
                    {"steps.personal.email": _contains(word)},
                    {"steps.personal.first_name": _contains(word)},
                    {"steps.personal.last_name": _contains(word)},
                ]
            }
            for word in words
        ]
    }


def queue_match(where: QueueFilter, *, with_status: bool = True) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    statuses = where.statuses if with_status and where.statuses else tuple(SUBMITTED)
    clauses.append({"status": {"$in": sorted(s.value for s in statuses)}})
    if where.outcome is not None:
        clauses.append({"decision.outcome": where.outcome})
    if where.unassigned:
        clauses.append({"assigned_to": None})
    elif where.assigned_to is not None:
        clauses.append({"assigned_to.staff.id": where.assigned_to})
    amount: dict[str, int] = {}
    if where.min_amount_pence is not None:
        amount["$gte"] = where.min_amount_pence
    if where.max_amount_pence is not None:
        amount["$lte"] = where.max_amount_pence
    if amount:
        clauses.append({"steps.loan.amount_pence": amount})
    submitted: dict[str, datetime] = {}
    if where.submitted_from is not None:
        submitted["$gte"] = where.submitted_from
    if where.submitted_to is not None:
        submitted["$lt"] = where.submitted_to
    if submitted:
        clauses.append({"submitted_at": submitted})
    if where.q and (text := text_clause(where.q)) is not None:
        clauses.append(text)
    return {"$and": clauses}


def sort_value(record: ApplicationRecord, sort: SortKey) -> SortValue:
    if sort == "amount":
        return int(record.steps.get("loan", {}).get("amount_pence", 0))
    assert record.submitted_at is not None
    return record.submitted_at
