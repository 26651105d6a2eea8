"""The financial data platform's read of applications: changed since a watermark, projected to
fields that carry no personal data (no names, contact details, addresses beyond the postcode
area, bank details or free text)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ff_shared.adp.sources import (
    ApplicationRow,
    DecisionEvent,
    customer_key,
    postcode_area,
)
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import ApplicationDocument

_PROJECTION = {
    "_id": 1,
    "customer_id": 1,
    "status": 1,
    "created_at": 1,
    "updated_at": 1,
    "submitted_at": 1,
    "decided_at": 1,
    "decision.outcome": 1,
    "decision.reasons": 1,
    # Whole sub-documents where several of their fields are needed: their other fields (a
    # decision's trace, a decline's note) are dropped below and never reach the lake.
    "earlier_decisions": 1,
    "offer": 1,
    "decline": 1,
    "lms": 1,
    "steps.loan.amount_pence": 1,
    "steps.loan.term_months": 1,
    "steps.loan.purpose": 1,
    "steps.address.postcode": 1,
    "steps.employment.status": 1,
}


def _at(raw: dict[str, Any], path: str) -> Any:
    """A projected sub-field: nested, as MongoDB returns it, or under its dotted name, as the
    nx-27017 stand-in does."""
    if path in raw:
        return raw[path]
    value: Any = raw
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _engine(decision: dict[str, Any] | None, at: datetime | None) -> DecisionEvent | None:
    if not decision or at is None or not decision.get("outcome"):
        return None
    return DecisionEvent(
        decided_by="engine",
        outcome=str(decision["outcome"]),
        reasons=tuple(str(r) for r in decision.get("reasons") or ()),
        decided_at=at,
    )


def application_row(raw: dict[str, Any], *, salt: str) -> ApplicationRow:
    submitted_at = raw.get("submitted_at")
    events: list[DecisionEvent] = []
    for earlier in raw.get("earlier_decisions") or ():
        event = _engine(earlier.get("decision"), earlier.get("decided_at") or submitted_at)
        if event is not None:
            events.append(event)
    current = _engine(
        {"outcome": _at(raw, "decision.outcome"), "reasons": _at(raw, "decision.reasons")},
        raw.get("decided_at") or submitted_at,
    )
    if current is not None:
        events.append(current)
    made = raw.get("offer") or {}
    offer = made.get("offer") or {}
    if made.get("made_at"):
        events.append(
            DecisionEvent(
                decided_by="staff", outcome="approve", reasons=(), decided_at=made["made_at"]
            )
        )
    decline = raw.get("decline") or {}
    if decline.get("declined_at"):
        events.append(
            DecisionEvent(
                decided_by="staff",
                outcome="decline",
                reasons=(str(decline.get("reason_code") or "other"),),
                decided_at=decline["declined_at"],
            )
        )
    return ApplicationRow(
        application_id=str(raw["_id"]),
        customer_key=customer_key(raw.get("customer_id"), salt),
        status=str(raw.get("status")),
        created_at=raw["created_at"],
        updated_at=raw.get("updated_at") or raw["created_at"],
        submitted_at=submitted_at,
        decisions=tuple(sorted(events, key=lambda e: e.decided_at)),
        offer_made_at=made.get("made_at"),
        offer_amount_pence=offer.get("amount_pence"),
        offer_term_months=offer.get("term_months"),
        offer_instalment_pence=offer.get("monthly_instalment_pence"),
        offer_apr_percent=offer.get("apr_percent"),
        offer_response=made.get("response"),
        offer_responded_at=made.get("responded_at"),
        requested_amount_pence=_at(raw, "steps.loan.amount_pence"),
        requested_term_months=_at(raw, "steps.loan.term_months"),
        purpose=_at(raw, "steps.loan.purpose"),
        employment_status=_at(raw, "steps.employment.status"),
        postcode_area=postcode_area(_at(raw, "steps.address.postcode")),
        agreement_number=(raw.get("lms") or {}).get("agreement_number"),
    )


async def applications_since(watermark: datetime | None, *, salt: str) -> list[ApplicationRow]:
    """Applications updated at or after ``watermark`` (all when None), oldest first."""
    query: dict[str, Any] = {} if watermark is None else {"updated_at": {"$gte": watermark}}
    cursor = collection(ApplicationDocument).find(query, _PROJECTION).sort([("_id", 1)])
    return [application_row(raw, salt=salt) async for raw in cursor]


async def count_applications() -> int:
    return int(await collection(ApplicationDocument).count_documents({}))


async def insert_applications(documents: list[dict[str, Any]]) -> int:
    """Insert whole application documents (the local stack's demo portfolio)."""
    if documents:
        await collection(ApplicationDocument).insert_many(documents)
    return len(documents)
