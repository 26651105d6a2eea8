"""Customer-portal (and public) bodies for applications: staff-only facts (risk flags, trace,
affordability) have no field here; staff's live in ``staff_schemas``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Response
from litestar.status_codes import HTTP_200_OK

from ff_api.open_banking.schemas import OpenBankingView, open_banking_view
from ff_shared.domain.application import STEPS
from ff_shared.domain.lifecycle import AWAITING_A_PERSON
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.records import (
    ApplicationRecord,
    ApplicationStatus,
)


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
    """The decision the customer is told: null while a person has yet to decide (status
    in_review, information_requested or awaiting_second_approval: "under review"), whatever the
    engine's outcome, which staff see; set once the application is declined or an offer made."""
    offer: MadeOfferView | None = None
    """Present once the lender has made an offer (status offered, then accepted or declined)."""
    information_request: InformationRequestView | None = None
    """What the lender asked for, while the status is information_requested."""
    open_banking: OpenBankingView | None = None
    """The bank-account connection, once started (POST .../open-banking)."""


class ApplicationPage(msgspec.Struct, kw_only=True):
    items: list[ApplicationView]
    next_cursor: str | None


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
        decision=None if record.status in AWAITING_A_PERSON else decision_view(record.decision),
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


class FormStep(msgspec.Struct, kw_only=True):
    name: str
    position: int
    json_schema: dict[str, Any]
    example: dict[str, Any]


class ApplicationForm(msgspec.Struct, kw_only=True):
    steps: list[FormStep]
    product: LoanProduct


def application_response(
    record: ApplicationRecord, status_code: int = HTTP_200_OK
) -> Response[ApplicationView]:
    """The customer's view of the application, with its version as the ETag."""
    return Response(
        application_view(record, STEPS),
        status_code=status_code,
        headers={"ETag": f'"{record.version}"'},
    )
