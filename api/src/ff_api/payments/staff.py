"""Staff's side of repayments: the failed-collections queue, a loan's repayments with its
forbearance, customers' difficulty requests, and agreeing or ending forbearance (audited)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from ff_api.audit import service as auditing
from ff_api.jobs import enqueue
from ff_api.payments import service
from ff_api.payments.collection_day import (
    CollectionDayBody,
    CollectionDayView,
    change_collection_day,
)
from ff_api.payments.schemas import (
    ArrangementBody,
    ArrangementView,
    DifficultyList,
    FailedCollectionsPage,
    StaffRepaymentsView,
    arrangement_view,
    difficulty_view,
    problem_response,
    staff_payment_view,
)
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import london_today, now_utc
from ff_shared.domain.audit import Target
from ff_shared.domain.payments import Arrangement
from ff_shared.errors import NotFound
from ff_shared.jobs import JOB_SCHEDULE_COLLECTIONS
from ff_shared.stores.postgres import forbearance
from ff_shared.stores.postgres import payments as store

READ = "loans.read"
FORBEARANCE = "payments.forbearance"
OPERATE = "payments.operate"


class CollectionRunRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    today: date | None = None
    """Plan as if it were this day (default: today in London), to catch up after an outage."""


class CollectionRunView(msgspec.Struct, kw_only=True):
    job_id: str | None
    """Null when a run for that day is already queued."""
    today: date


Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000, description="Items to skip")]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size")]


class StaffRepaymentsController(Controller):
    path = "/"
    tags = ["staff: repayments"]

    @get(
        "/payments/failed",
        operation_id="staff_list_failed_collections",
        summary="Failed and charged-back payments, most recent first: the arrears work queue",
        opt={"permission": READ},
    )
    async def failed(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        offset: Offset = 0,
        limit: Limit = 20,
    ) -> FailedCollectionsPage:
        async with service.unit_of_work(services) as conn:
            items, total = await store.failed_payments(conn, limit=limit, offset=offset)
        return FailedCollectionsPage(
            items=[staff_payment_view(p) for p in items], total=total, offset=offset, limit=limit
        )

    @post(
        "/payments/collections/run",
        operation_id="staff_run_collections",
        summary="Create the Direct Debit collections falling due now (the daily run, on demand)",
        status_code=HTTP_202_ACCEPTED,
        opt={"permission": OPERATE},
    )
    async def run_collections(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        data: JSONBody[CollectionRunRequest],
    ) -> CollectionRunView:
        today = data.today or london_today()
        job = await enqueue(
            services,
            JOB_SCHEDULE_COLLECTIONS,
            job_id=f"{JOB_SCHEDULE_COLLECTIONS}:{today.isoformat()}:{uuid.uuid4().hex[:8]}",
            today=today.isoformat(),
        )
        return CollectionRunView(job_id=None if job is None else job.job_id, today=today)

    @get(
        "/payments/difficulty-requests",
        operation_id="staff_list_difficulty_requests",
        summary="Customers' open requests for a new collection date or help with difficulty",
        opt={"permission": READ},
    )
    async def difficulty(
        self, staff: NamedDependency[StaffPrincipal], services: NamedDependency[Services]
    ) -> DifficultyList:
        async with service.unit_of_work(services) as conn:
            requests = await forbearance.open_difficulty_requests(conn)
        return DifficultyList(items=[difficulty_view(r) for r in requests])

    @get(
        "/loans/{loan_id:str}/repayments",
        operation_id="staff_get_repayments",
        summary="A loan's mandate, collections, payments, forbearance and difficulty requests",
        opt={"permission": READ},
    )
    async def repayments(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
    ) -> StaffRepaymentsView:
        loan = await service.find_loan(services, loan_id, None)
        view = await service.repayments(services, loan)
        async with service.unit_of_work(services) as conn:
            arrangements = await forbearance.loan_arrangements(conn, loan_id)
            payments = await store.loan_payments(conn, loan_id)
            requests = [
                r for r in await forbearance.open_difficulty_requests(conn) if r.loan_id == loan_id
            ]
        return StaffRepaymentsView(
            **msgspec.structs.asdict(view),
            arrangements=[arrangement_view(a) for a in arrangements],
            difficulty_requests=[difficulty_view(r) for r in requests],
            payments_detail=[staff_payment_view(p) for p in payments],
        )

    @post(
        "/loans/{loan_id:str}/arrangements",
        operation_id="staff_agree_arrangement",
        summary="Agree a payment plan or a breathing space (collections pause for its term)",
        status_code=HTTP_201_CREATED,
        opt={"permission": FORBEARANCE},
    )
    async def agree(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
        data: JSONBody[ArrangementBody],
    ) -> ArrangementView:
        loan = await service.find_loan(services, loan_id, None)
        ends_on = service.arrangement_term(
            data.kind, data.starts_on, data.ends_on, data.instalment_pence
        )
        now = now_utc()
        async with service.unit_of_work(services) as conn:
            arrangement = await forbearance.insert_arrangement(
                conn,
                loan_id=loan_id,
                customer_id=loan.customer_id or "",
                kind=data.kind,
                starts_on=data.starts_on,
                ends_on=ends_on,
                instalment_pence=data.instalment_pence,
                note=data.note,
                agreed_by=staff.staff_id,
                now=now,
            )
        return await _audited(
            staff, "loan.arrangement_agreed", loan_id, loan.customer_id, arrangement, now
        )

    @post(
        "/loans/{loan_id:str}/arrangements/{arrangement_id:int}/end",
        operation_id="staff_end_arrangement",
        summary="End a forbearance arrangement early; collections resume",
        status_code=HTTP_200_OK,
        opt={"permission": FORBEARANCE},
    )
    async def end(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
        arrangement_id: FromPath[int],
    ) -> ArrangementView:
        loan = await service.find_loan(services, loan_id, None)
        now = now_utc()
        async with service.unit_of_work(services) as conn:
            ended = await forbearance.end_arrangement(conn, loan_id, arrangement_id, now)
        if ended is None:
            raise NotFound("no such arrangement in force on this loan")
        return await _audited(
            staff, "loan.arrangement_ended", loan_id, loan.customer_id, ended, now
        )

    @post(
        "/loans/{loan_id:str}/collection-day",
        operation_id="staff_change_collection_day",
        summary="Move the loan's Direct Debit collections to another day of the month (audited)",
        status_code=HTTP_200_OK,
        opt={"permission": FORBEARANCE},
        responses={
            409: problem_response(
                "No remaining collection can move (`collection_day_not_movable`), or the "
                "request is already dealt with (`difficulty_request_closed`)"
            ),
            503: problem_response("Anchor LMS does not answer (`lms_unavailable`)"),
        },
    )
    async def collection_day(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
        data: JSONBody[CollectionDayBody],
    ) -> CollectionDayView:
        return await change_collection_day(services, staff, loan_id, data)


async def _audited(
    staff: StaffPrincipal,
    action: str,
    loan_id: str,
    customer_id: str | None,
    arrangement: Arrangement,
    now: datetime,
) -> ArrangementView:
    """The arrangement as staff see it, once its change is in the audit trail."""
    view = arrangement_view(arrangement)
    await auditing.record_staff(
        staff,
        action,
        Target(type="loan", id=loan_id),
        now=now,
        customer_id=customer_id,
        after=msgspec.to_builtins(view),
    )
    return view
