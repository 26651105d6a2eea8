"""What booking an accepted application as a loan in the LMS takes from the application."""

from __future__ import annotations

from datetime import date

import msgspec

from ff_shared.domain.decision import Offer
from ff_shared.domain.loans import CustomerDetails
from ff_shared.domain.records import ApplicationRecord


def accepted_offer(record: ApplicationRecord) -> Offer | None:
    """The offer made by staff if there is one, else the engine's (None: no offer at all)."""
    if record.offer is not None:
        return record.offer.offer
    candidate = (record.decision or {}).get("offer")
    return None if candidate is None else msgspec.convert(candidate, Offer)


def customer_details(record: ApplicationRecord) -> CustomerDetails:
    """The LMS customer record, from the personal and address steps."""
    personal = record.steps.get("personal") or {}
    address = record.steps.get("address") or {}
    born = personal.get("date_of_birth")
    return CustomerDetails(
        platform_customer_id=record.customer_id,
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
