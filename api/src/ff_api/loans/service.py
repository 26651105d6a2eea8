"""Loans as the loan book holds them.

Reads go to the loan book (the LMS database, restored nightly in production); a loan that is
not the caller's does not exist for them (404, never 403). Payments are recorded in the LMS
only on the payment provider's confirmation (see ``ff_api.payments``).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

import aioodbc

from ff_api.services import Services
from ff_shared.domain.loans import Instalment, Loan, LoanCustomer, TransactionPage
from ff_shared.errors import (
    NotFound,
)
from ff_shared.stores.loanbook import queries
from ff_shared.stores.loanbook.connection import acquire


def loanbook(services: Services) -> AbstractAsyncContextManager[aioodbc.Connection]:
    """A loan-book connection for one request; a server that does not answer is a 503."""
    return acquire(services.loanbook)


async def customer_loans(services: Services, customer_id: str) -> list[Loan]:
    async with loanbook(services) as conn:
        return await queries.list_customer_loans(conn, customer_id)


async def customer_loan(services: Services, customer_id: str, loan_id: str) -> Loan:
    async with loanbook(services) as conn:
        loan = await queries.find_loan(conn, loan_id, customer_id=customer_id)
    if loan is None:
        raise NotFound("no such loan")
    return loan


async def schedule(services: Services, customer_id: str, loan_id: str) -> list[Instalment]:
    async with loanbook(services) as conn:
        if await queries.find_loan(conn, loan_id, customer_id=customer_id) is None:
            raise NotFound("no such loan")
        return await queries.get_schedule(conn, loan_id)


async def transactions(
    services: Services, customer_id: str, loan_id: str, *, offset: int, limit: int
) -> TransactionPage:
    async with loanbook(services) as conn:
        if await queries.find_loan(conn, loan_id, customer_id=customer_id) is None:
            raise NotFound("no such loan")
        return await queries.list_transactions(conn, loan_id, offset=offset, limit=limit)


async def lms_customer(services: Services, customer_id: str) -> LoanCustomer | None:
    async with loanbook(services) as conn:
        return await queries.find_loan_customer(conn, customer_id)
