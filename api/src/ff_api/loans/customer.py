"""``/v1/loans``: the calling customer's loans, schedules, transactions and payments."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from ff_api.headers import checked_idempotency_key
from ff_api.loans import service
from ff_api.loans.schemas import (
    LoanList,
    LoanView,
    PaymentRequest,
    PaymentView,
    ScheduleView,
    TransactionPageView,
    loan_view,
    schedule_view,
    transaction_page_view,
)
from ff_api.pagination import Limit, Offset
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.errors import FieldProblem, InvalidInput


def required_idempotency_key(value: str | None) -> str:
    if value is None:
        raise InvalidInput(
            "a payment needs an Idempotency-Key header, so a retry never pays twice",
            errors=[FieldProblem(path="header.Idempotency-Key", message="is required")],
        )
    return checked_idempotency_key(value)


class CustomerLoansController(Controller):
    path = "/loans"
    tags = ["customer: loans"]

    @get(operation_id="list_loans", summary="The caller's loans, newest first")
    async def list_loans(
        self, customer: NamedDependency[CustomerPrincipal], services: NamedDependency[Services]
    ) -> LoanList:
        loans = await service.customer_loans(services, customer.customer_id)
        return LoanList(items=[loan_view(loan) for loan in loans])

    @get("/{loan_id:str}", operation_id="get_loan", summary="One of the caller's loans")
    async def get_loan(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
    ) -> LoanView:
        return loan_view(await service.customer_loan(services, customer.customer_id, loan_id))

    @get(
        "/{loan_id:str}/schedule",
        operation_id="get_loan_schedule",
        summary="The loan's instalments and what has been paid against each",
    )
    async def get_schedule(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
    ) -> ScheduleView:
        rows = await service.schedule(services, customer.customer_id, loan_id)
        return schedule_view(loan_id, rows)

    @get(
        "/{loan_id:str}/transactions",
        operation_id="list_loan_transactions",
        summary="The loan's transactions, newest first, a page at a time",
    )
    async def list_transactions(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
        offset: Offset = 0,
        limit: Limit = 20,
    ) -> TransactionPageView:
        page = await service.transactions(
            services, customer.customer_id, loan_id, offset=offset, limit=limit
        )
        return transaction_page_view(loan_id, page)

    @post(
        "/{loan_id:str}/payments",
        operation_id="make_loan_payment",
        summary="Pay towards the loan; repeat safely with the same Idempotency-Key",
        status_code=HTTP_201_CREATED,
    )
    async def pay(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
        data: JSONBody[PaymentRequest],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", description="Unique per payment (8-128 chars)"),
        ] = None,
    ) -> Response[PaymentView]:
        key = required_idempotency_key(idempotency_key)
        outcome = await service.pay(
            services,
            customer.customer_id,
            loan_id,
            amount_pence=data.amount_pence,
            idempotency_key=key,
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        return Response(outcome.payment, status_code=HTTP_201_CREATED, headers=headers)
