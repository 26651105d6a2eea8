"""Seeding the demo portfolio: the loan book's rows after its own ids, MongoDB's applications and
the journey tracker's sessions. Idempotent: a loan book that already has the demo agreements is
left alone."""

from __future__ import annotations

from datetime import date

import aioodbc
import asyncpg

from ff_shared.stores.loanbook import adp as loanbook_store
from ff_shared.stores.loanbook.connection import transaction
from ff_shared.stores.mongo import adp as mongo_store
from ff_shared.stores.postgres import adp as pg_store
from ff_standins.adp_portfolio.generate import AGREEMENT_PREFIX, generate
from ff_standins.adp_portfolio.loans import DemoPortfolio

CUSTOMER_COLUMNS = (
    "CustomerId",
    "PlatformCustomerId",
    "Title",
    "FirstName",
    "LastName",
    "DateOfBirth",
    "Email",
    "MobilePhone",
    "AddressLine1",
    "AddressLine2",
    "Town",
    "Postcode",
    "CreatedAt",
)
AGREEMENT_COLUMNS = (
    "AgreementId",
    "AgreementNumber",
    "CustomerId",
    "ExternalReference",
    "ProductCode",
    "Status",
    "AdvanceAmount",
    "TermMonths",
    "InterestRate",
    "Apr",
    "InstalmentAmount",
    "TotalRepayable",
    "Balance",
    "ArrearsBalance",
    "StartDate",
    "FirstPaymentDate",
    "FinalPaymentDate",
    "CreatedAt",
    "UpdatedAt",
)
INSTALMENT_COLUMNS = (
    "AgreementId",
    "InstalmentNumber",
    "DueDate",
    "Amount",
    "Principal",
    "Interest",
    "PaidAmount",
    "Status",
)
TRANSACTION_COLUMNS = (
    "TransactionId",
    "AgreementId",
    "TypeId",
    "Amount",
    "TransactionDate",
    "Reference",
    "CreatedAt",
)


async def seed_demo_portfolio(
    loanbook: aioodbc.Connection,
    tracker: asyncpg.Connection | None,
    *,
    today: date,
    months: int = 24,
    per_month: int = 30,
) -> DemoPortfolio | None:
    """Write the demo portfolio (MongoDB must be connected on this loop); None when the loan
    book already has it."""
    if await loanbook_store.has_agreements_like(loanbook, AGREEMENT_PREFIX):
        return None
    portfolio = generate(today, months=months, per_month=per_month)
    customer_base = await loanbook_store.max_id(loanbook, "Customers", "CustomerId")
    agreement_base = await loanbook_store.max_id(loanbook, "Agreements", "AgreementId")
    transaction_base = await loanbook_store.max_id(loanbook, "Transactions", "TransactionId")
    customers = [(r[0] + customer_base, *r[1:]) for r in portfolio.customers]
    agreements = [
        (r[0] + agreement_base, r[1], r[2] + customer_base, *r[3:]) for r in portfolio.agreements
    ]
    instalments = [(r[0] + agreement_base, *r[1:]) for r in portfolio.instalments]
    transactions = [
        (transaction_base + n, r[0] + agreement_base, *r[1:])
        for n, r in enumerate(portfolio.transactions, start=1)
    ]
    async with transaction(loanbook):
        await loanbook_store.insert_rows(
            loanbook,
            "Customers",
            CUSTOMER_COLUMNS,
            customers,
        )
        await loanbook_store.insert_rows(
            loanbook,
            "Agreements",
            AGREEMENT_COLUMNS,
            agreements,
        )
        await loanbook_store.insert_rows(
            loanbook,
            "ScheduleInstalments",
            INSTALMENT_COLUMNS,
            instalments,
        )
        await loanbook_store.insert_rows(
            loanbook,
            "Transactions",
            TRANSACTION_COLUMNS,
            transactions,
        )
    await mongo_store.insert_applications(portfolio.applications)
    if tracker is not None:
        await pg_store.insert_sessions(tracker, portfolio.sessions)
    return portfolio
