"""What the ``create_lms_loan`` job reads from and writes on an application.

These functions take the database handle rather than using the beanie models, so a worker needs
only a MongoDB client, not beanie's process-wide binding. Writes replace the whole document
conditioned on its version (see :mod:`ff_shared.stores.mongo.versioned`), re-reading and
re-applying the change when someone else wrote in between.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from ff_shared.domain.decision import Offer
from ff_shared.domain.loans import CustomerDetails, LmsSync
from ff_shared.domain.records import ApplicationStatus
from ff_shared.stores.mongo.versioned import update_versioned

APPLICATIONS = "applications"


class LmsLoanRequest(msgspec.Struct, frozen=True, kw_only=True):
    """An application as the loan-booking job needs it."""

    application_id: str
    customer_id: str
    status: ApplicationStatus
    offer: Offer | None
    """The offer the customer accepted (``None``: the application has none)."""
    customer: CustomerDetails
    lms: LmsSync | None


def accepted_offer(raw: dict[str, Any]) -> Offer | None:
    """The offer made by staff (``offer.offer``) if there is one, else the engine's."""
    made = raw.get("offer")
    candidate = made.get("offer") if isinstance(made, dict) else None
    if candidate is None and isinstance(raw.get("decision"), dict):
        candidate = raw["decision"].get("offer")
    if candidate is None:
        return None
    return msgspec.convert(candidate, Offer)


def _customer(raw: dict[str, Any]) -> CustomerDetails:
    steps = raw.get("steps") or {}
    personal = steps.get("personal") or {}
    address = steps.get("address") or {}
    born = personal.get("date_of_birth")
    return CustomerDetails(
        platform_customer_id=raw["customer_id"],
        title=personal.get("title"),
        first_name=personal.get("first_name") or "",
        last_name=personal.get("last_name") or "",
        date_of_birth=date.fromisoformat(born) if isinstance(born, str) else born,
        email=personal.get("email"),
        mobile_phone=personal.get("mobile"),
        address_line1=address.get("line1"),
        address_line2=address.get("line2"),
        town=address.get("town"),
        postcode=address.get("postcode"),
    )


async def load_for_lms(db: Any, application_id: str) -> LmsLoanRequest | None:
    raw = await db[APPLICATIONS].find_one({"_id": application_id})
    if raw is None:
        return None
    lms = raw.get("lms")
    return LmsLoanRequest(
        application_id=raw["_id"],
        customer_id=raw["customer_id"],
        status=ApplicationStatus(raw["status"]),
        offer=accepted_offer(raw),
        customer=_customer(raw),
        lms=None if lms is None else msgspec.convert(lms, LmsSync),
    )


async def record_lms_sync(db: Any, application_id: str, sync: LmsSync) -> None:
    """Store ``sync`` as the application's ``lms`` object (its status is left alone)."""

    def change(document: dict[str, Any]) -> None:
        # Datetimes stay datetimes: BSON dates, written by whole-document replace.
        document["lms"] = msgspec.to_builtins(sync, builtin_types=(datetime,))

    await update_versioned(
        db[APPLICATIONS], {"_id": application_id}, change, expected_version=None, what="application"
    )
