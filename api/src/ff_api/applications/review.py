"""Staff's review actions on an application: assign, approve, confirm, decline, ask for
information, add a note.

Every action is one versioned write of the application (a stale version is a 409, never a lost
update), decided by the domain's state machine, followed by its audit entry. A customer e-mail
is enqueued just before the write, keyed by the version the write produces; the job sends only
if that write landed, so a refused write never e-mails anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
import structlog

from ff_api.applications.staff_schemas import (
    ApproveBody,
    AssignBody,
    DeclineBody,
    NoteBody,
    RequestInformationBody,
)
from ff_api.audit import service as auditing
from ff_api.jobs import enqueue, enqueue_crm_sync
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import london_date, now_utc
from ff_shared.domain import lifecycle
from ff_shared.domain.audit import Target, changes
from ff_shared.domain.decision import Offer, offer_for
from ff_shared.domain.emails import EmailKind
from ff_shared.domain.lifecycle import Action
from ff_shared.domain.permissions import Role
from ff_shared.domain.pricing import OutsideProductError
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.domain.review import (
    Assignment,
    DeclineRecord,
    InformationRequest,
    OfferMade,
    Proposal,
    StaffRef,
    offer_affordable,
)
from ff_shared.errors import (
    FieldProblem,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
    StaleVersion,
)
from ff_shared.integrations.aws.session import client_options
from ff_shared.jobs import JOB_SEND_APPLICATION_EMAIL, application_email_job_id
from ff_shared.stores.mongo import notes, review

log = structlog.get_logger()

EMAIL_DEFER = timedelta(seconds=1)
"""Lets the write that the e-mail is about land before the job looks for it."""

REVIEW_FIELDS = ("status", "assigned_to", "proposal", "offer", "decline", "information_request")
"""What review actions change, and so what their audit entries compare."""


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value, builtin_types=(datetime,))


def _audit_view(record: ApplicationRecord) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(record)
    return {key: data.get(key) for key in REVIEW_FIELDS}


async def _act(
    services: Services,
    staff: StaffPrincipal,
    application_id: str,
    version: int,
    *,
    action: str,
    change: Callable[[dict[str, Any], ApplicationRecord, datetime], EmailKind | None],
) -> ApplicationRecord:
    now = now_utc()

    def apply(raw: dict[str, Any], current: ApplicationRecord) -> EmailKind | None:
        email = change(raw, current, now)
        raw["updated_at"] = now
        return email

    async def notify(email: EmailKind | None, new_version: int) -> None:
        if email is None:
            return
        await enqueue(
            services,
            JOB_SEND_APPLICATION_EMAIL,
            job_id=application_email_job_id(application_id, email.value, new_version),
            application_id=application_id,
            kind=email.value,
            version=new_version,
            _defer_by=EMAIL_DEFER,
        )

    async def before_write(email: EmailKind | None, new_version: int) -> None:
        await notify(email, new_version)
        await enqueue_crm_sync(services, application_id, new_version)

    changed, _ = await review.change_application(
        application_id, apply, expected_version=version, before_write=before_write
    )
    before, after = changes(_audit_view(changed.before), _audit_view(changed.after), REVIEW_FIELDS)
    await auditing.record_staff(
        staff,
        action,
        Target(type="application", id=application_id),
        now=now,
        customer_id=changed.after.customer_id,
        before=before,
        after=after,
    )
    log.info(
        "application_reviewed",
        application_id=application_id,
        action=action,
        status=changed.after.status.value,
    )
    return changed.after


def _priced(
    services: Services, record: ApplicationRecord, body: ApproveBody, now: datetime
) -> Offer:
    requested = record.steps.get("loan", {}).get("amount_pence")
    if isinstance(requested, int) and body.amount_pence > requested:
        raise InvalidInput(
            "an offer may not be for more than the customer asked to borrow",
            errors=[
                FieldProblem(
                    path="amount_pence", message=f"must be at most the {requested} requested"
                )
            ],
        )
    try:
        return offer_for(services.product, body.amount_pence, body.term_months, london_date(now))
    except OutsideProductError as exc:
        raise InvalidInput(
            "the offer is outside the product",
            errors=[FieldProblem(path=exc.field, message=exc.message)],
        ) from exc


async def approve(
    services: Services, staff: StaffPrincipal, application_id: str, body: ApproveBody
) -> ApplicationRecord:
    me = auditing.staff_ref(staff)
    threshold = services.settings.review.four_eyes_threshold_pence

    def change(raw: dict[str, Any], current: ApplicationRecord, now: datetime) -> EmailKind | None:
        lifecycle.check_approver(current.status, staff.roles)
        offer = _priced(services, current, body, now)
        four_eyes = lifecycle.needs_second_approval(offer.amount_pence, threshold)
        target = lifecycle.next_status(
            current.status, Action.APPROVE, needs_second_approval=four_eyes
        )
        affordable = offer_affordable(current.steps, offer, london_date(now))
        overrides = current.status is ApplicationStatus.DECLINED
        raw["status"] = target.value
        raw["decline"] = None
        if four_eyes:
            raw["proposal"] = _builtins(
                Proposal(
                    offer=offer,
                    proposed_by=me,
                    proposed_at=now,
                    at_version=current.version + 1,
                    affordable=affordable,
                    overrides_decline=overrides,
                )
            )
            return None
        raw["proposal"] = None
        raw["offer"] = _builtins(
            OfferMade(
                offer=offer,
                proposed_by=me,
                made_at=now,
                at_version=current.version + 1,
                affordable=affordable,
                overrides_decline=overrides,
            )
        )
        return EmailKind.OFFER_MADE

    proposed = lifecycle.needs_second_approval(body.amount_pence, threshold)
    action = "application.approval_proposed" if proposed else "application.approved"
    return await _act(services, staff, application_id, body.version, action=action, change=change)


async def confirm_approval(
    services: Services, staff: StaffPrincipal, application_id: str, version: int
) -> ApplicationRecord:
    me = auditing.staff_ref(staff)

    def change(raw: dict[str, Any], current: ApplicationRecord, now: datetime) -> EmailKind:
        target = lifecycle.next_status(current.status, Action.CONFIRM_APPROVAL)
        proposal = current.proposal
        if proposal is None:
            raise IllegalTransition("the application has no approval waiting to be confirmed")
        lifecycle.check_confirmer(proposal, me, staff.roles)
        # The offer stands from today, so it is priced for a drawdown today.
        offer = offer_for(
            services.product,
            proposal.offer.amount_pence,
            proposal.offer.term_months,
            london_date(now),
        )
        raw["status"] = target.value
        raw["proposal"] = None
        raw["offer"] = _builtins(
            OfferMade(
                offer=offer,
                proposed_by=proposal.proposed_by,
                confirmed_by=me,
                made_at=now,
                at_version=current.version + 1,
                affordable=proposal.affordable,
                overrides_decline=proposal.overrides_decline,
            )
        )
        return EmailKind.OFFER_MADE

    return await _act(
        services,
        staff,
        application_id,
        version,
        action="application.approval_confirmed",
        change=change,
    )


async def decline(
    services: Services, staff: StaffPrincipal, application_id: str, body: DeclineBody
) -> ApplicationRecord:
    me = auditing.staff_ref(staff)

    def change(raw: dict[str, Any], current: ApplicationRecord, now: datetime) -> EmailKind:
        target = lifecycle.next_status(current.status, Action.DECLINE)
        raw["status"] = target.value
        raw["proposal"] = None
        raw["decline"] = _builtins(
            DeclineRecord(
                reason_code=body.reason_code,
                note=body.note,
                declined_by=me,
                declined_at=now,
                at_version=current.version + 1,
            )
        )
        return EmailKind.DECLINED

    return await _act(
        services, staff, application_id, body.version, action="application.declined", change=change
    )


async def request_information(
    services: Services, staff: StaffPrincipal, application_id: str, body: RequestInformationBody
) -> ApplicationRecord:
    me = auditing.staff_ref(staff)

    def change(raw: dict[str, Any], current: ApplicationRecord, now: datetime) -> EmailKind:
        target = lifecycle.next_status(current.status, Action.REQUEST_INFORMATION)
        raw["status"] = target.value
        raw["information_request"] = _builtins(
            InformationRequest(
                needed=body.needed,
                requested_by=me,
                requested_at=now,
                at_version=current.version + 1,
            )
        )
        return EmailKind.INFORMATION_REQUESTED

    return await _act(
        services,
        staff,
        application_id,
        body.version,
        action="application.information_requested",
        change=change,
    )


async def _staff_member(services: Services, staff_id: str) -> StaffRef:
    """Look a colleague up in the staff user pool, so nobody is assigned to a made-up id."""
    aws = services.settings.aws
    async with services.aws.client("cognito-idp", **client_options(aws)) as cognito:
        found = await cognito.list_users(
            UserPoolId=services.settings.cognito.staff_pool_id,
            Filter=f'sub = "{staff_id.replace(chr(34), "")}"',
            Limit=1,
        )
    users = found.get("Users") or []
    if not users or not users[0].get("Enabled", True):
        raise InvalidInput(
            "no such member of staff",
            errors=[FieldProblem(path="staff_id", message="is not an active member of staff")],
        )
    return StaffRef(id=staff_id, username=str(users[0]["Username"]))


async def assign(
    services: Services, staff: StaffPrincipal, application_id: str, body: AssignBody
) -> ApplicationRecord:
    me = auditing.staff_ref(staff)
    assignee = me
    if body.staff_id is not None and body.staff_id != staff.staff_id:
        if not {Role.SENIOR_UNDERWRITER, Role.ADMIN} & staff.roles:
            raise NotPermitted("only a senior underwriter or an admin may assign someone else")
        assignee = await _staff_member(services, body.staff_id)

    def change(raw: dict[str, Any], current: ApplicationRecord, now: datetime) -> None:
        if current.status not in lifecycle.OPEN_FOR_REVIEW:
            raise IllegalTransition(
                f"the application is {current.status.value}: only applications under review "
                "can be assigned"
            )
        raw["assigned_to"] = _builtins(Assignment(staff=assignee, assigned_by=me, assigned_at=now))

    return await _act(
        services, staff, application_id, body.version, action="application.assigned", change=change
    )


async def unassign(
    services: Services, staff: StaffPrincipal, application_id: str, version: int
) -> ApplicationRecord:
    def change(raw: dict[str, Any], current: ApplicationRecord, _now: datetime) -> None:
        if current.assigned_to is None:
            raise IllegalTransition("the application is not assigned to anyone")
        raw["assigned_to"] = None

    return await _act(
        services, staff, application_id, version, action="application.unassigned", change=change
    )


async def add_note(staff: StaffPrincipal, application_id: str, body: NoteBody) -> notes.Note:
    """A note changes nothing on the application, but it is written against what was seen."""
    current = review.record_of(await review.load(application_id))
    if current.version != body.version:
        raise StaleVersion(f"the application is at version {current.version}, not {body.version}")
    now = now_utc()
    note = await notes.add(
        customer_id=current.customer_id,
        application_id=application_id,
        author=auditing.staff_ref(staff),
        text=body.text,
        now=now,
    )
    await auditing.record_staff(
        staff,
        "application.note_added",
        Target(type="application", id=application_id),
        now=now,
        customer_id=current.customer_id,
        after={"note_id": note.id, "text": note.text},
    )
    return note
