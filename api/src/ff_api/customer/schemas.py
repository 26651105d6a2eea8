"""Customer-portal bodies: staff-only facts (risk flags, trace, affordability) have no field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from ff_shared.domain.open_banking import OpenBankingConsent
from ff_shared.domain.records import (
    ApplicationRecord,
    ApplicationStatus,
    ContactChannel,
    CustomerProfile,
)

UNSET = msgspec.UNSET


class StepView(msgspec.Struct, kw_only=True):
    name: str
    status: Literal["not_started", "complete"]
    data: dict[str, Any] | None = None


class OfferView(msgspec.Struct, kw_only=True):
    amount_pence: int
    term_months: int
    monthly_instalment_pence: int
    apr_percent: float
    total_repayable_pence: int


class DecisionView(msgspec.Struct, kw_only=True):
    outcome: Literal["approve", "refer", "decline"]
    reasons: list[str]
    rule_set_version: str
    offer: OfferView | None = None


class MadeOfferView(msgspec.Struct, kw_only=True):
    """The offer a person at the lender made: accept or decline it."""

    amount_pence: int
    term_months: int
    monthly_instalment_pence: int
    apr_percent: float
    total_repayable_pence: int
    made_at: datetime
    response: Literal["accepted", "declined"] | None
    responded_at: datetime | None


class InformationRequestView(msgspec.Struct, kw_only=True):
    needed: str
    requested_at: datetime
    responded_at: datetime | None


class OpenBankingView(msgspec.Struct, kw_only=True):
    state: str
    """awaiting_authorisation, authorised, completed, rejected, expired or failed."""
    reference: str
    authorisation_url: str
    """Send the customer here to choose their bank and authorise access."""
    started_at: datetime
    completed_at: datetime | None
    decision_version: int | None
    """The decision version the verified figures produced, once they have."""


def open_banking_view(consent: OpenBankingConsent | None) -> OpenBankingView | None:
    if consent is None:
        return None
    return OpenBankingView(
        state=consent.state.value,
        reference=consent.reference,
        authorisation_url=consent.authorisation_url,
        started_at=consent.started_at,
        completed_at=consent.completed_at,
        decision_version=consent.decision_version,
    )


class ApplicationView(msgspec.Struct, kw_only=True):
    id: str
    reference: str
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    steps: list[StepView]
    next_step: str | None
    """The first step not yet saved; null once every step is saved."""
    decision: DecisionView | None
    offer: MadeOfferView | None = None
    """Present once the lender has made an offer (status offered, then accepted or declined)."""
    information_request: InformationRequestView | None = None
    """What the lender asked for, while the status is information_requested."""
    open_banking: OpenBankingView | None = None
    """The bank-account connection, once started (POST .../open-banking)."""


class ApplicationPage(msgspec.Struct, kw_only=True):
    items: list[ApplicationView]
    next_cursor: str | None


class SettingsView(msgspec.Struct, kw_only=True):
    marketing_opt_in: bool
    contact_channel: ContactChannel
    paperless: bool


class MeView(msgspec.Struct, kw_only=True):
    id: str
    email: str | None
    preferred_name: str | None
    mobile: str | None
    settings: SettingsView
    version: int
    created_at: datetime
    updated_at: datetime


class SettingsPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    marketing_opt_in: bool | msgspec.UnsetType = UNSET
    contact_channel: ContactChannel | msgspec.UnsetType = UNSET
    paperless: bool | msgspec.UnsetType = UNSET


class MePatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Annotated[
        int, msgspec.Meta(ge=1, description="The profile version the change is based on")
    ]
    preferred_name: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=60)] | msgspec.UnsetType | None
    ) = UNSET
    mobile: (
        Annotated[str, msgspec.Meta(pattern=r"^(?:\+44\s?7|07)\d{3}\s?\d{3}\s?\d{3}$")]
        | msgspec.UnsetType
        | None
    ) = UNSET
    settings: SettingsPatch | msgspec.UnsetType = UNSET


def decision_view(decision: dict[str, Any] | None) -> DecisionView | None:
    if decision is None:
        return None
    flags = set(decision.get("risk_flags") or ())
    reasons = [r for r in decision.get("reasons", ()) if r not in flags]
    if decision.get("outcome") == "refer" and not reasons:
        reasons = ["referred_for_review"]
    offer = decision.get("offer")
    return DecisionView(
        outcome=decision["outcome"],
        reasons=reasons,
        rule_set_version=decision["rule_set_version"],
        offer=msgspec.convert(offer, OfferView, from_attributes=False) if offer else None,
    )


def application_view(record: ApplicationRecord, steps: tuple[str, ...]) -> ApplicationView:
    views = [
        StepView(
            name=step,
            status="complete" if step in record.steps else "not_started",
            data=record.steps.get(step),
        )
        for step in steps
    ]
    return ApplicationView(
        id=record.id,
        reference=record.reference,
        status=record.status.value,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        submitted_at=record.submitted_at,
        steps=views,
        next_step=next((s for s in steps if s not in record.steps), None),
        decision=decision_view(record.decision),
        offer=_offer_view(record),
        information_request=_information_request_view(record),
        open_banking=open_banking_view(record.open_banking),
    )


def _offer_view(record: ApplicationRecord) -> MadeOfferView | None:
    made = record.offer
    if made is None:
        return None
    return MadeOfferView(
        amount_pence=made.offer.amount_pence,
        term_months=made.offer.term_months,
        monthly_instalment_pence=made.offer.monthly_instalment_pence,
        apr_percent=made.offer.apr_percent,
        total_repayable_pence=made.offer.total_repayable_pence,
        made_at=made.made_at,
        response=made.response,
        responded_at=made.responded_at,
    )


def _information_request_view(record: ApplicationRecord) -> InformationRequestView | None:
    request = record.information_request
    if request is None or record.status is not ApplicationStatus.INFORMATION_REQUESTED:
        return None
    return InformationRequestView(
        needed=request.needed,
        requested_at=request.requested_at,
        responded_at=request.responded_at,
    )


def me_view(profile: CustomerProfile) -> MeView:
    return MeView(
        id=profile.id,
        email=profile.email,
        preferred_name=profile.preferred_name,
        mobile=profile.mobile,
        settings=msgspec.convert(msgspec.to_builtins(profile.settings), SettingsView),
        version=profile.version,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
