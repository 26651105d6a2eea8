"""``/v1/loans``: the calling customer's loans, schedules and transactions (payments are the
repayments feature's: the loan book changes only on the provider's confirmation)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from ff_api.loans import service
from ff_api.loans.schemas import (
    LoanList,
    LoanView,
    ScheduleView,
    TransactionPageView,
    loan_view,
    schedule_view,
    transaction_page_view,
)
from ff_api.pagination import Limit, Offset
from ff_api.security import CustomerPrincipal
from ff_api.services import Services


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
