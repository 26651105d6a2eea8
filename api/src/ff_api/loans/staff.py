"""``/v1/staff/customers/{customer_id}/loans``: a customer's loans as staff see them."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from ff_api.loans import service
from ff_api.loans.schemas import (
    LoanView,
    ScheduleView,
    StaffCustomerLoans,
    TransactionPageView,
    loan_customer_view,
    loan_view,
    schedule_view,
    transaction_page_view,
)
from ff_api.pagination import Limit, Offset
from ff_api.security import StaffPrincipal
from ff_api.services import Services

PERMISSION = "loans.read"


class StaffCustomerLoansController(Controller):
    path = "/customers/{customer_id:str}/loans"
    tags = ["staff: customer loans"]

    @get(
        operation_id="staff_list_customer_loans",
        summary="A customer's loans and the LMS's record of them",
        opt={"permission": PERMISSION},
    )
    async def list_loans(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
    ) -> StaffCustomerLoans:
        loans = await service.customer_loans(services, customer_id)
        record = await service.lms_customer(services, customer_id)
        return StaffCustomerLoans(
            customer_id=customer_id,
            lms_customer=None if record is None else loan_customer_view(record),
            items=[loan_view(loan) for loan in loans],
        )

    @get(
        "/{loan_id:str}",
        operation_id="staff_get_customer_loan",
        summary="One of the customer's loans",
        opt={"permission": PERMISSION},
    )
    async def get_loan(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
        loan_id: FromPath[str],
    ) -> LoanView:
        return loan_view(await service.customer_loan(services, customer_id, loan_id))

    @get(
        "/{loan_id:str}/schedule",
        operation_id="staff_get_customer_loan_schedule",
        summary="The loan's instalments",
        opt={"permission": PERMISSION},
    )
    async def get_schedule(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
        loan_id: FromPath[str],
    ) -> ScheduleView:
        return schedule_view(loan_id, await service.schedule(services, customer_id, loan_id))

    @get(
        "/{loan_id:str}/transactions",
        operation_id="staff_list_customer_loan_transactions",
        summary="The loan's transactions, newest first, a page at a time",
        opt={"permission": PERMISSION},
    )
    async def list_transactions(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
        loan_id: FromPath[str],
        offset: Offset = 0,
        limit: Limit = 20,
    ) -> TransactionPageView:
        page = await service.transactions(
            services, customer_id, loan_id, offset=offset, limit=limit
        )
        return transaction_page_view(loan_id, page)
