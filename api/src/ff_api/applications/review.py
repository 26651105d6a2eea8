"""Staff's review actions on an application: assign, approve, confirm, decline, ask for
information, add a note.

Each action reads the application at the version the member of staff saw (another is a 409,
never a lost update), asks the domain (:mod:`ff_shared.domain.review_actions`) for the new
record and its effects, enqueues the e-mails and the CRM sync keyed by the version the write
produces, writes through the repository conditioned on the version read, then audits. The jobs
act only if that write landed, so a refused write never e-mails anyone.
"""

from __future__ import annotations

import structlog

from ff_api.applications.staff_schemas import (
    ApproveBody,
    AssignBody,
    DeclineBody,
    NoteBody,
    RequestInformationBody,
)
from ff_api.audit import service as auditing
from ff_api.jobs import enqueue_effects
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import london_date, now_utc
from ff_shared.domain import review_actions
from ff_shared.domain.audit import Target
from ff_shared.domain.permissions import Role
from ff_shared.domain.records import ApplicationRecord
from ff_shared.domain.review import StaffRef
from ff_shared.domain.review_actions import Reviewed
from ff_shared.errors import FieldProblem, InvalidInput, NotPermitted
from ff_shared.integrations.aws.session import client_options
from ff_shared.stores.mongo import notes

log = structlog.get_logger()


async def _apply(
    services: Services, staff: StaffPrincipal, current: ApplicationRecord, reviewed: Reviewed
) -> ApplicationRecord:
    """Enqueue what the change calls for, write it over the version read, audit it."""
    after = reviewed.application
    await enqueue_effects(
        services,
        after.id,
        after.version,
        emails=reviewed.emails,
        follow_ups=reviewed.follow_ups,
    )
    saved = await services.applications.save(after, expected_version=current.version)
    await auditing.record_staff(
        staff,
        reviewed.audit.action,
        Target(type="application", id=saved.id),
        now=saved.updated_at,
        customer_id=saved.customer_id,
        before=reviewed.audit.before,
        after=reviewed.audit.after,
    )
    log.info(
        "application_reviewed",
        application_id=saved.id,
        action=reviewed.audit.action,
        status=saved.status.value,
    )
    return saved


async def approve(
    services: Services, staff: StaffPrincipal, application_id: str, body: ApproveBody
) -> ApplicationRecord:
    current = await services.applications.get(application_id, expected_version=body.version)
    now = now_utc()
    reviewed = review_actions.approve(
        current,
        by=auditing.staff_ref(staff),
        roles=staff.roles,
        amount_pence=body.amount_pence,
        term_months=body.term_months,
        product=services.product,
        four_eyes_threshold_pence=services.settings.review.four_eyes_threshold_pence,
        today=london_date(now),
        now=now,
    )
    return await _apply(services, staff, current, reviewed)


async def confirm_approval(
    services: Services, staff: StaffPrincipal, application_id: str, version: int
) -> ApplicationRecord:
    current = await services.applications.get(application_id, expected_version=version)
    now = now_utc()
    reviewed = review_actions.confirm_approval(
        current,
        by=auditing.staff_ref(staff),
        roles=staff.roles,
        product=services.product,
        today=london_date(now),
        now=now,
    )
    return await _apply(services, staff, current, reviewed)


async def decline(
    services: Services, staff: StaffPrincipal, application_id: str, body: DeclineBody
) -> ApplicationRecord:
    current = await services.applications.get(application_id, expected_version=body.version)
    reviewed = review_actions.decline(
        current,
        by=auditing.staff_ref(staff),
        reason_code=body.reason_code,
        note=body.note,
        now=now_utc(),
    )
    return await _apply(services, staff, current, reviewed)


async def request_information(
    services: Services, staff: StaffPrincipal, application_id: str, body: RequestInformationBody
) -> ApplicationRecord:
    current = await services.applications.get(application_id, expected_version=body.version)
    reviewed = review_actions.request_information(
        current, by=auditing.staff_ref(staff), needed=body.needed, now=now_utc()
    )
    return await _apply(services, staff, current, reviewed)


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
    current = await services.applications.get(application_id, expected_version=body.version)
    reviewed = review_actions.assign(current, assignee=assignee, by=me, now=now_utc())
    return await _apply(services, staff, current, reviewed)


async def unassign(
    services: Services, staff: StaffPrincipal, application_id: str, version: int
) -> ApplicationRecord:
    current = await services.applications.get(application_id, expected_version=version)
    reviewed = review_actions.unassign(current, now=now_utc())
    return await _apply(services, staff, current, reviewed)


async def add_note(
    services: Services, staff: StaffPrincipal, application_id: str, body: NoteBody
) -> notes.Note:
    """A note changes nothing on the application, but it is written against what was seen."""
    current = await services.applications.get(application_id, expected_version=body.version)
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
