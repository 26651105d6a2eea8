"""Applications: the customer's journey (draft, save steps, submit for a decision) and the
staff's review queue (list, count, open one). The review actions are in ``review``."""

from __future__ import annotations

import binascii
from datetime import datetime
from typing import Any, Literal

import msgspec
import structlog

from ff_api import pagination
from ff_api.analytics.service import duplicate_cluster_for
from ff_api.applications.schemas import ApplicationPage, application_view
from ff_api.applications.staff_schemas import (
    QueueCounts,
    QueuePage,
    StaffApplicationDetail,
    application_detail,
    queue_item,
)
from ff_api.audit import service as auditing
from ff_api.jobs import enqueue_crm_sync, enqueue_email
from ff_api.security import CustomerPrincipal, StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import london_date, now_utc
from ff_shared.domain import lifecycle
from ff_shared.domain.application import (
    STEPS,
    ApplicationData,
    StepValidationError,
    validate_complete,
    validate_step,
)
from ff_shared.domain.audit import Target
from ff_shared.domain.decision import Decision, Outcome, decide
from ff_shared.domain.emails import EmailKind
from ff_shared.domain.lifecycle import Action
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import (
    ApplicationLocked,
    FieldProblem,
    InvalidInput,
    NotFound,
    StaleVersion,
)
from ff_shared.faults import unavailable_from
from ff_shared.stores.mongo import audit, customers, notes, uploads
from ff_shared.stores.mongo.applications import Position, QueueFilter, SortKey, sort_value

log = structlog.get_logger()

Sort = Literal["submitted_at", "-submitted_at", "amount", "-amount"]


def _problems(exc: StepValidationError) -> list[FieldProblem]:
    return [FieldProblem(path=e.path, message=e.message) for e in exc.errors]


async def create_application(services: Services, principal: CustomerPrincipal) -> ApplicationRecord:
    now = now_utc()
    await customers.ensure_profile(principal.customer_id, email=principal.email, now=now)
    record = await services.applications.create(principal.customer_id, now)
    log.info("application_created", application_id=record.id)
    return record


async def list_applications(
    services: Services, principal: CustomerPrincipal, *, limit: int, cursor: str | None
) -> ApplicationPage:
    """The customer's applications, newest first, a page at a time."""
    before = pagination.id_after(cursor) if cursor else None
    records = await services.applications.list_for_customer(
        principal.customer_id, limit=limit + 1, before_id=before
    )
    page = records[:limit]
    return ApplicationPage(
        items=[application_view(r, STEPS) for r in page],
        next_cursor=pagination.id_cursor(page[-1].id) if len(records) > limit else None,
    )


async def save_step(
    services: Services,
    principal: CustomerPrincipal,
    application_id: str,
    step: str,
    body: object,
    expected_version: int | None,
) -> ApplicationRecord:
    if step not in STEPS:
        raise NotFound(f"no step called {step!r}; the steps are {', '.join(STEPS)}")
    current = await services.applications.get(application_id, customer_id=principal.customer_id)
    if current.status != ApplicationStatus.DRAFT:
        raise ApplicationLocked(
            f"the application is {current.status.value} and can no longer be edited"
        )
    if expected_version is not None and expected_version != current.version:
        raise StaleVersion(
            f"the application is at version {current.version}, not {expected_version}"
        )
    now = now_utc()
    try:
        validated = validate_step(step, body, today=london_date(now), product=services.product)
    except StepValidationError as exc:
        raise InvalidInput(
            f"the {step} step did not pass validation", errors=_problems(exc)
        ) from exc
    record = await services.applications.save_step(
        application_id,
        customer_id=principal.customer_id,
        step=step,
        data=msgspec.to_builtins(validated),
        expected_version=expected_version,
        now=now,
    )
    log.info("application_step_saved", application_id=application_id, step=step)
    return record


def _status_for(decision: Decision) -> ApplicationStatus:
    # Every approve or refer is looked at by a person before an offer stands (UK GDPR Art 22).
    return lifecycle.next_status(ApplicationStatus.DRAFT, Action.SUBMIT, outcome=decision.outcome)


async def submit(
    services: Services,
    principal: CustomerPrincipal,
    application_id: str,
    idempotency_key: str | None,
) -> ApplicationRecord:
    current = await services.applications.get(application_id, customer_id=principal.customer_id)
    if current.status != ApplicationStatus.DRAFT:
        if idempotency_key is not None and idempotency_key == current.submit_idempotency_key:
            return current
        raise ApplicationLocked(f"the application was already submitted ({current.status.value})")
    now = now_utc()
    today = london_date(now)
    steps: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for step in STEPS:
        if step not in current.steps:
            continue
        try:
            steps[step] = validate_step(
                step, current.steps[step], today=today, product=services.product
            )
        except StepValidationError as exc:
            problems.extend(_problems(exc))
    problems.extend(FieldProblem(path=e.path, message=e.message) for e in validate_complete(steps))
    if problems:
        raise InvalidInput("the application is not complete", errors=problems)
    data = ApplicationData(**steps)
    decision = decide(data, product=services.product, today=today)
    if decision.outcome is Outcome.DECLINE:
        # Enqueued before the write and keyed by the version it produces: the job sends only
        # if this submission is the write that landed.
        await enqueue_email(services, application_id, EmailKind.DECLINED, current.version + 1)
    # The CRM learns of the application once this write lands (the job checks it did).
    await enqueue_crm_sync(services, application_id, current.version + 1)
    record = await services.applications.record_submission(
        application_id,
        customer_id=principal.customer_id,
        expected_version=current.version,
        status=_status_for(decision),
        decision=msgspec.to_builtins(decision),
        idempotency_key=idempotency_key,
        now=now,
    )
    if record is None:
        # Another request changed or submitted it between our read and our write.
        latest = await services.applications.get(application_id, customer_id=principal.customer_id)
        if idempotency_key is not None and latest.submit_idempotency_key == idempotency_key:
            return latest
        if latest.status != ApplicationStatus.DRAFT:
            raise ApplicationLocked(
                f"the application was already submitted ({latest.status.value})"
            )
        raise StaleVersion("the application changed while it was being submitted; try again")
    await auditing.record_customer(
        principal,
        "application.submitted",
        Target(type="application", id=application_id),
        now=now,
        after={"status": record.status.value, "outcome": decision.outcome.value},
    )
    log.info(
        "application_submitted",
        application_id=application_id,
        outcome=decision.outcome,
        reasons=list(decision.reasons),
    )
    return record


def encode_cursor(sort: Sort, record: ApplicationRecord) -> str:
    key: SortKey = "amount" if sort.endswith("amount") else "submitted_at"
    value = sort_value(record, key)
    payload = {"s": sort, "v": value.isoformat() if isinstance(value, datetime) else value}
    payload["id"] = record.id
    return pagination.encode(msgspec.json.encode(payload))


def decode_cursor(cursor: str, sort: Sort) -> Position:
    problem = pagination.invalid_cursor(
        "the cursor is not one this API issued for this sort",
        "is not a valid cursor for this sort",
    )
    try:
        raw = msgspec.json.decode(pagination.decode(cursor))
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise problem from exc
    if not isinstance(raw, dict) or raw.get("s") != sort or not isinstance(raw.get("id"), str):
        raise problem
    value = raw.get("v")
    try:
        if sort.endswith("amount"):
            if not isinstance(value, int):
                raise problem
            return Position(value=value, id=raw["id"])
        return Position(value=msgspec.convert(value, datetime), id=raw["id"])
    except msgspec.ValidationError as exc:
        raise problem from exc


def queue_filter(
    staff: StaffPrincipal,
    *,
    status: list[ApplicationStatus] | None,
    outcome: Outcome | None,
    assigned_to: str | None,
    min_amount_pence: int | None,
    max_amount_pence: int | None,
    submitted_from: datetime | None,
    submitted_to: datetime | None,
    q: str | None,
) -> QueueFilter:
    if ApplicationStatus.DRAFT in (status or []):
        raise InvalidInput(
            "drafts are not in the review queue",
            errors=[FieldProblem(path="status", message="must be a submitted status")],
        )
    for name, value in (("submitted_from", submitted_from), ("submitted_to", submitted_to)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(
                f"{name} needs a time zone",
                errors=[FieldProblem(path=name, message="must include a UTC offset, e.g. Z")],
            )
    return QueueFilter(
        statuses=tuple(status or ()),
        outcome=outcome.value if outcome else None,
        assigned_to=staff.staff_id if assigned_to == "me" else assigned_to,
        unassigned=assigned_to == "none",
        min_amount_pence=min_amount_pence,
        max_amount_pence=max_amount_pence,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
        q=q,
    )


async def list_queue(
    services: Services, where: QueueFilter, *, sort: Sort, cursor: str | None, limit: int
) -> QueuePage:
    key: SortKey = "amount" if sort.endswith("amount") else "submitted_at"
    after = decode_cursor(cursor, sort) if cursor else None
    records = await services.applications.list_queue(
        where, sort=key, descending=sort.startswith("-"), after=after, limit=limit + 1
    )
    page = records[:limit]
    return QueuePage(
        items=[queue_item(r) for r in page],
        next_cursor=encode_cursor(sort, page[-1]) if len(records) > limit else None,
    )


async def queue_counts(services: Services, where: QueueFilter) -> QueueCounts:
    counts = await services.applications.count_by_status(where)
    return QueueCounts(counts=counts, total=sum(counts.values()))


async def detail(services: Services, application_id: str) -> StaffApplicationDetail:
    record = await services.applications.get(application_id)
    view = application_detail(
        record,
        allowed_actions=lifecycle.staff_options(
            record.status, assigned=record.assigned_to is not None
        ),
        four_eyes_threshold_pence=services.settings.review.four_eyes_threshold_pence,
        notes=await notes.for_application(application_id),
        documents=await uploads.for_application(application_id),
        audit=await audit.query(target_id=application_id, limit=500, oldest_first=True),
    )
    try:
        cluster = await duplicate_cluster_for(services, application_id)
    except Exception as exc:
        # Secondary data: the review works without it while the tracker's database is down.
        unavailable = unavailable_from(exc)
        if unavailable is None:
            raise
        log.warning("review_duplicates_unavailable", dependency=unavailable.dependency)
        return msgspec.structs.replace(view, unavailable=["duplicates"])
    return view if cluster is None else msgspec.structs.replace(view, duplicates=cluster)
