"""Staff move a loan's Direct Debit collections to the day of the month the customer asked for
(the rule: :mod:`ff_shared.domain.collection_day`): the loan book's schedule is re-dated in
Anchor LMS, the customer's request is closed as agreed, and the change is audited."""

from __future__ import annotations

from typing import Annotated

import msgspec
import structlog

from ff_api.audit import service as auditing
from ff_api.loans.service import loanbook
from ff_api.payments import service
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import london_today, now_utc
from ff_shared.domain.audit import Target
from ff_shared.domain.collection_day import first_movable_instalment
from ff_shared.domain.payments import DifficultyKind
from ff_shared.errors import (
    Conflict,
    DependencyUnavailable,
    FieldProblem,
    InvalidInput,
    NotFound,
)
from ff_shared.integrations.errors import IntegrationError
from ff_shared.stores.loanbook import queries
from ff_shared.stores.postgres import forbearance
from ff_shared.stores.postgres import payments as store

log = structlog.get_logger()


class CollectionDayBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    day: Annotated[int, msgspec.Meta(ge=1, le=28)] | None = None
    """The new day of the month (1-28); default: the one the customer asked for."""
    request_id: int | None = None
    """The customer's collection-date request this agrees to (closed as agreed)."""


class CollectionDayView(msgspec.Struct, kw_only=True):
    loan_id: str
    day: int
    from_instalment: int
    """The first instalment on the new day; earlier ones keep their dates."""
    due_dates: list[str]
    """Every instalment's due date after the change (ISO dates, in order)."""


class CollectionDayNotMovable(Conflict):
    code = "collection_day_not_movable"
    title = "No collection can move to that day"


class DifficultyRequestClosed(Conflict):
    code = "difficulty_request_closed"
    title = "The request is already dealt with"


class LmsUnavailable(DependencyUnavailable):
    code = "lms_unavailable"
    title = "The loan-management system is unavailable"


async def _requested_day(services: Services, loan_id: str, body: CollectionDayBody) -> int:
    if body.request_id is None:
        if body.day is None:
            raise InvalidInput(
                "give the day, or the customer's request",
                errors=[FieldProblem(path="day", message="required without request_id")],
            )
        return body.day
    async with service.unit_of_work(services) as conn:
        request = await forbearance.find_difficulty(conn, body.request_id)
    if (
        request is None
        or request.loan_id != loan_id
        or request.kind is not DifficultyKind.COLLECTION_DATE
    ):
        raise NotFound("no such collection-date request on this loan")
    if request.status != "open":
        raise DifficultyRequestClosed(f"the request is {request.status}")
    day = body.day or request.preferred_day
    assert day is not None  # a collection-date request always has one
    return day


async def change_collection_day(
    services: Services, staff: StaffPrincipal, loan_id: str, body: CollectionDayBody
) -> CollectionDayView:
    loan = await service.find_loan(services, loan_id, None)
    day = await _requested_day(services, loan_id, body)
    async with loanbook(services) as conn:
        schedule = await queries.get_schedule(conn, loan_id)
    async with service.unit_of_work(services) as conn:
        collected = [
            p.instalment_number
            for p in await store.loan_payments(conn, loan_id)
            if p.instalment_number is not None
        ]
    first = first_movable_instalment(
        schedule,
        day=day,
        collected=collected,
        today=london_today(),
        lead_days=services.settings.payments.lead_working_days,
    )
    if first is None:
        raise CollectionDayNotMovable("every remaining collection is already on its way")
    before = [i.due_date.isoformat() for i in schedule]
    try:
        moved = await services.anchor_lms.change_payment_day(
            loan_id, payment_day=day, from_instalment=first
        )
    except IntegrationError as exc:
        log.warning("collection_day_change_failed", loan_id=loan_id, error=exc.kind)
        raise LmsUnavailable("the loan book could not be changed; try again shortly") from exc
    now = now_utc()
    if body.request_id is not None:
        async with service.unit_of_work(services) as conn:
            await forbearance.close_difficulty(conn, body.request_id, status="agreed")
    view = CollectionDayView(
        loan_id=loan_id,
        day=day,
        from_instalment=first,
        due_dates=[i.due_date.isoformat() for i in moved],
    )
    await auditing.record_staff(
        staff,
        "loan.collection_day_changed",
        Target(type="loan", id=loan_id),
        now=now,
        customer_id=loan.customer_id,
        before={"due_dates": before},
        after=msgspec.to_builtins(view),
    )
    return view
