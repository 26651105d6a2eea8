"""What a review action or a customer's answer does to an application, as pure functions.

Each function takes the application as read and returns a :class:`Reviewed`: the application
as it is to be written (its version already the one the write produces, so records and e-mails
can name it) and the effects the write calls for — e-mails to send, follow-up jobs, the audit
entry. Nothing here reads or writes a store; refusals are the lifecycle's typed errors, which
the API maps to problem documents in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import msgspec

from ff_shared.domain import lifecycle
from ff_shared.domain.audit import changes
from ff_shared.domain.decision import Offer, offer_for
from ff_shared.domain.emails import EmailKind
from ff_shared.domain.lifecycle import Action, ActionRefusedError
from ff_shared.domain.permissions import Role
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.domain.review import (
    Assignment,
    DeclineReason,
    DeclineRecord,
    InformationRequest,
    OfferMade,
    OfferResponse,
    Proposal,
    StaffRef,
    offer_affordable,
)

REVIEW_FIELDS = ("status", "assigned_to", "proposal", "offer", "decline", "information_request")
"""What staff review actions change, and so what their audit entries compare."""

ANSWER_FIELDS = ("status", "offer", "information_request")
"""What the customer's answers change."""


class FollowUp(enum.StrEnum):
    """A job a change calls for (the API names the job; the domain only says it is needed)."""

    SYNC_TO_CRM = "sync_to_crm"
    CREATE_LMS_LOAN = "create_lms_loan"


ACCEPTED_FOLLOW_UPS = (FollowUp.CREATE_LMS_LOAN, FollowUp.SYNC_TO_CRM)
"""An accepted offer is booked as a loan and told to the CRM (again, safely, on a repeat)."""


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    """Only the audited fields whose values changed, as JSON builtins."""


class Reviewed(msgspec.Struct, frozen=True, kw_only=True):
    application: ApplicationRecord
    """The application to write, at the version the write produces."""
    emails: tuple[EmailKind, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    audit: AuditEntry


class OfferAboveRequestError(ValueError):
    """Staff may offer less than the customer asked for, never more."""

    def __init__(self, requested_pence: int) -> None:
        super().__init__("an offer may not be for more than the customer asked to borrow")
        self.requested_pence = requested_pence


def _audit(
    action: str, before: ApplicationRecord, after: ApplicationRecord, fields: Iterable[str]
) -> AuditEntry:
    old, new = changes(msgspec.to_builtins(before), msgspec.to_builtins(after), fields)
    return AuditEntry(action=action, before=old, after=new)


def _staff_change(
    current: ApplicationRecord,
    action: str,
    now: datetime,
    *,
    emails: tuple[EmailKind, ...] = (),
    **fields: Any,
) -> Reviewed:
    """Every staff action is written as one new version and told to the CRM."""
    after = msgspec.structs.replace(current, version=current.version + 1, updated_at=now, **fields)
    return Reviewed(
        application=after,
        emails=emails,
        follow_ups=(FollowUp.SYNC_TO_CRM,),
        audit=_audit(action, current, after, REVIEW_FIELDS),
    )


def price_offer(
    current: ApplicationRecord,
    product: LoanProduct,
    *,
    amount_pence: int,
    term_months: int,
    today: date,
) -> Offer:
    """The offer staff propose, priced for a drawdown ``today``; never above the request.

    Raises :class:`OfferAboveRequestError`, or ``OutsideProductError`` off-product."""
    requested = current.steps.get("loan", {}).get("amount_pence")
    if isinstance(requested, int) and amount_pence > requested:
        raise OfferAboveRequestError(requested)
    return offer_for(product, amount_pence, term_months, today)


def approve(
    current: ApplicationRecord,
    *,
    by: StaffRef,
    roles: Iterable[Role],
    amount_pence: int,
    term_months: int,
    product: LoanProduct,
    four_eyes_threshold_pence: int,
    today: date,
    now: datetime,
) -> Reviewed:
    """Make an offer, or above the four-eyes threshold propose one for a second senior
    underwriter. Approving a declined application overrides the decline (seniors only)."""
    lifecycle.check_approver(current.status, roles)
    offer = price_offer(
        current, product, amount_pence=amount_pence, term_months=term_months, today=today
    )
    four_eyes = lifecycle.needs_second_approval(offer.amount_pence, four_eyes_threshold_pence)
    status = lifecycle.next_status(current.status, Action.APPROVE, needs_second_approval=four_eyes)
    affordable = offer_affordable(current.steps, offer, today)
    overrides = current.status is ApplicationStatus.DECLINED
    at_version = current.version + 1
    if four_eyes:
        proposal = Proposal(
            offer=offer,
            proposed_by=by,
            proposed_at=now,
            at_version=at_version,
            affordable=affordable,
            overrides_decline=overrides,
        )
        return _staff_change(
            current,
            "application.approval_proposed",
            now,
            status=status,
            decline=None,
            proposal=proposal,
        )
    made = OfferMade(
        offer=offer,
        proposed_by=by,
        made_at=now,
        at_version=at_version,
        affordable=affordable,
        overrides_decline=overrides,
    )
    return _staff_change(
        current,
        "application.approved",
        now,
        emails=(EmailKind.OFFER_MADE,),
        status=status,
        decline=None,
        proposal=None,
        offer=made,
    )


def confirm_approval(
    current: ApplicationRecord,
    *,
    by: StaffRef,
    roles: Iterable[Role],
    product: LoanProduct,
    today: date,
    now: datetime,
) -> Reviewed:
    """The second pair of eyes turns the proposal into the offer the customer sees."""
    status = lifecycle.next_status(current.status, Action.CONFIRM_APPROVAL)
    proposal = current.proposal
    if proposal is None:
        raise ActionRefusedError("the application has no approval waiting to be confirmed")
    lifecycle.check_confirmer(proposal, by, roles)
    # The offer stands from today, so it is priced for a drawdown today.
    offer = offer_for(product, proposal.offer.amount_pence, proposal.offer.term_months, today)
    made = OfferMade(
        offer=offer,
        proposed_by=proposal.proposed_by,
        confirmed_by=by,
        made_at=now,
        at_version=current.version + 1,
        affordable=proposal.affordable,
        overrides_decline=proposal.overrides_decline,
    )
    return _staff_change(
        current,
        "application.approval_confirmed",
        now,
        emails=(EmailKind.OFFER_MADE,),
        status=status,
        proposal=None,
        offer=made,
    )


def decline(
    current: ApplicationRecord,
    *,
    by: StaffRef,
    reason_code: DeclineReason,
    note: str,
    now: datetime,
) -> Reviewed:
    status = lifecycle.next_status(current.status, Action.DECLINE)
    record = DeclineRecord(
        reason_code=reason_code,
        note=note,
        declined_by=by,
        declined_at=now,
        at_version=current.version + 1,
    )
    return _staff_change(
        current,
        "application.declined",
        now,
        emails=(EmailKind.DECLINED,),
        status=status,
        proposal=None,
        decline=record,
    )


def request_information(
    current: ApplicationRecord, *, by: StaffRef, needed: str, now: datetime
) -> Reviewed:
    status = lifecycle.next_status(current.status, Action.REQUEST_INFORMATION)
    request = InformationRequest(
        needed=needed, requested_by=by, requested_at=now, at_version=current.version + 1
    )
    return _staff_change(
        current,
        "application.information_requested",
        now,
        emails=(EmailKind.INFORMATION_REQUESTED,),
        status=status,
        information_request=request,
    )


def assign(
    current: ApplicationRecord, *, assignee: StaffRef, by: StaffRef, now: datetime
) -> Reviewed:
    """Who works the application; only one still under review can be taken on."""
    if current.status not in lifecycle.OPEN_FOR_REVIEW:
        raise ActionRefusedError(
            f"the application is {current.status.value}: only applications under review "
            "can be assigned"
        )
    assignment = Assignment(staff=assignee, assigned_by=by, assigned_at=now)
    return _staff_change(current, "application.assigned", now, assigned_to=assignment)


def unassign(current: ApplicationRecord, *, now: datetime) -> Reviewed:
    if current.assigned_to is None:
        raise ActionRefusedError("the application is not assigned to anyone")
    return _staff_change(current, "application.unassigned", now, assigned_to=None)


def _customer_change(
    current: ApplicationRecord,
    audit_action: str,
    now: datetime,
    *,
    follow_ups: tuple[FollowUp, ...] = (),
    **fields: Any,
) -> Reviewed:
    after = msgspec.structs.replace(current, version=current.version + 1, updated_at=now, **fields)
    return Reviewed(
        application=after,
        follow_ups=follow_ups,
        audit=_audit(audit_action, current, after, ANSWER_FIELDS),
    )


def _answer_offer(
    current: ApplicationRecord, action: Action, response: OfferResponse, now: datetime
) -> OfferMade:
    lifecycle.next_status(current.status, action)
    if current.offer is None:
        raise ActionRefusedError("the application has no offer to answer")
    return msgspec.structs.replace(current.offer, response=response, responded_at=now)


def accept_offer(current: ApplicationRecord, *, now: datetime) -> Reviewed:
    """The customer takes the offer: the loan is booked in the LMS and the CRM told."""
    offer = _answer_offer(current, Action.ACCEPT_OFFER, "accepted", now)
    return _customer_change(
        current,
        "application.offer_accepted",
        now,
        follow_ups=ACCEPTED_FOLLOW_UPS,
        status=lifecycle.next_status(current.status, Action.ACCEPT_OFFER),
        offer=offer,
    )


def decline_offer(current: ApplicationRecord, *, now: datetime) -> Reviewed:
    offer = _answer_offer(current, Action.DECLINE_OFFER, "declined", now)
    return _customer_change(
        current,
        "application.offer_declined",
        now,
        status=lifecycle.next_status(current.status, Action.DECLINE_OFFER),
        offer=offer,
    )


def provide_information(
    current: ApplicationRecord, *, message: str | None, now: datetime
) -> Reviewed:
    """The customer says the information asked for is provided (documents come separately)."""
    status = lifecycle.next_status(current.status, Action.PROVIDE_INFORMATION)
    request = current.information_request
    if request is None:
        raise ActionRefusedError("nothing was asked of you on this application")
    answered = msgspec.structs.replace(request, response=message, responded_at=now)
    return _customer_change(
        current,
        "application.information_provided",
        now,
        status=status,
        information_request=answered,
    )
