"""What staff record on an application while reviewing it: who has it, the offer, a decline, a
request for information. Each record carries ``at_version``, the application version its write
produced, so a job started by that write can check the write really happened."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

import msgspec

from ff_shared.domain.affordability import DEFAULT_POLICY, DecisionPolicy, assess, means_of
from ff_shared.domain.decision import Offer
from ff_shared.domain.pricing import build_schedule
from ff_shared.domain.steps import ApplicationData


class StaffRef(msgspec.Struct, frozen=True, kw_only=True):
    """A member of staff as records name them: the identity-provider subject and the login."""

    id: str
    username: str


class DeclineReason(enum.StrEnum):
    """The fixed list of reasons an underwriter may give for a decline."""

    UNAFFORDABLE = "unaffordable"
    EXISTING_DEBT_TOO_HIGH = "existing_debt_too_high"
    ADVERSE_CREDIT_HISTORY = "adverse_credit_history"
    INCOME_NOT_VERIFIED = "income_not_verified"
    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    INFORMATION_NOT_PROVIDED = "information_not_provided"
    OUTSIDE_LENDING_POLICY = "outside_lending_policy"
    SUSPECTED_FRAUD = "suspected_fraud"
    OTHER = "other"


class Proposal(msgspec.Struct, frozen=True, kw_only=True):
    """An approval above the four-eyes threshold, waiting for a second senior underwriter."""

    offer: Offer
    proposed_by: StaffRef
    proposed_at: datetime
    at_version: int
    affordable: bool | None = None
    """Whether the proposed loan passes the affordability check on the declared figures."""
    overrides_decline: bool = False


OfferResponse = Literal["accepted", "declined"]


class OfferMade(msgspec.Struct, frozen=True, kw_only=True):
    """The offer the customer can accept or decline."""

    offer: Offer
    proposed_by: StaffRef
    confirmed_by: StaffRef | None = None
    """The second senior underwriter, when the amount needed four eyes."""
    made_at: datetime
    at_version: int
    affordable: bool | None = None
    overrides_decline: bool = False
    response: OfferResponse | None = None
    responded_at: datetime | None = None


class DeclineRecord(msgspec.Struct, frozen=True, kw_only=True):
    reason_code: DeclineReason
    note: str
    """Free text for the file; never shown to the customer."""
    declined_by: StaffRef
    declined_at: datetime
    at_version: int


class InformationRequest(msgspec.Struct, frozen=True, kw_only=True):
    needed: str
    """What the customer is asked to provide, in words they will read."""
    requested_by: StaffRef
    requested_at: datetime
    at_version: int
    response: str | None = None
    responded_at: datetime | None = None


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    staff: StaffRef
    assigned_by: StaffRef
    assigned_at: datetime


def offer_affordable(
    steps: Mapping[str, Any], offer: Offer, today: date, policy: DecisionPolicy = DEFAULT_POLICY
) -> bool | None:
    """Whether the offered loan passes affordability on the customer's declared figures, as the
    engine would check it; None when the answers are no longer complete (erased)."""
    try:
        data = msgspec.convert(dict(steps), ApplicationData)
    except msgspec.ValidationError:
        return None
    schedule = build_schedule(offer.amount_pence, offer.term_months, offer.annual_rate_bps, today)
    checked = assess(
        means_of(data, policy),
        policy,
        amount_pence=offer.amount_pence,
        term_months=offer.term_months,
        instalment=max(row.amount_pence for row in schedule),
    )
    return checked.affordable
