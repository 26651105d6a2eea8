"""A realistic two-year demo portfolio for the local stack, so every report shows something.

Applications arrive every month (more lately); the engine approves, refers or declines; staff
approve most and decline some with a reason; most offers are accepted and funded. Each loan then
repays in its own way: most on time, some late, some settle early, some stop paying and a share
of those are written off. The loan book gets customers, agreements, schedules and transactions
as the LMS would hold them; MongoDB gets the applications; the journey tracker the first touch
of each. Generation is deterministic (a seeded random source) and seeding is idempotent: a loan
book that already has the demo agreements is left alone.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import aioodbc
import asyncpg
import msgspec

from ff_shared.domain.dates import add_months
from ff_shared.domain.decision import RULE_SET_VERSION
from ff_shared.domain.loans import LoanTerms, decimal_from_pence, schedule_for
from ff_shared.domain.pricing import quote
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.steps import EXAMPLES
from ff_shared.stores.loanbook import adp as loanbook_store
from ff_shared.stores.loanbook.connection import transaction
from ff_shared.stores.mongo import adp as mongo_store
from ff_shared.stores.postgres import adp as pg_store

AGREEMENT_PREFIX = "FFD"
AREAS = ("LS", "M", "B", "L", "S", "NE", "BD", "G", "CF", "NG", "SW", "E")
SOURCES = (
    ("google", "cpc", None, 30),
    ("google", "organic", "www.google.com", 20),
    ("facebook", "social", "l.facebook.com", 12),
    ("moneysavingexpert.com", None, "www.moneysavingexpert.com", 10),
    ("newsletter", "email", None, 8),
    ("direct", None, None, 20),
)
PURPOSES = ("debt_consolidation", "car", "home_improvement", "household", "emergency")
EMPLOYMENT = ("employed_full_time", "employed_part_time", "self_employed", "benefits")
ENGINE_DECLINES = ("unaffordable", "existing_debt_too_high", "adverse_credit_history")
STAFF_DECLINES = ("unaffordable", "income_not_verified", "outside_lending_policy", "other")
STAFF = {"id": "demo-underwriter", "username": "underwriter@example.com"}


class DemoPortfolio(msgspec.Struct, kw_only=True):
    applications: list[dict[str, Any]]
    customers: list[tuple[Any, ...]]
    agreements: list[tuple[Any, ...]]
    instalments: list[tuple[Any, ...]]
    transactions: list[tuple[Any, ...]]
    sessions: list[tuple[Any, ...]]


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _payments(
    rng: random.Random, dues: Sequence[tuple[date, int]], today: date
) -> tuple[list[tuple[date, int]], date | None]:
    """(payments, write-off date) for one loan's behaviour."""
    kind = rng.choices(["good", "late", "early", "troubled"], weights=[68, 12, 8, 12])[0]
    paid: list[tuple[date, int]] = []
    if kind == "troubled":
        stop = rng.randint(0, max(0, len(dues) // 2))
        paid = [(d, a) for d, a in dues[:stop]]
        stopped = dues[stop][0] if stop < len(dues) else dues[-1][0]
        written_off = stopped + timedelta(days=150) if rng.random() < 0.6 else None
        return [(d, a) for d, a in paid if d <= today], (
            written_off if written_off is not None and written_off <= today else None
        )
    settle_at = rng.randint(2, len(dues)) if kind == "early" and len(dues) > 2 else None
    for k, (due, amount) in enumerate(dues, start=1):
        delay = rng.randint(5, 45) if kind == "late" else rng.choice((0, 0, 0, 1, 2))
        day = due + timedelta(days=delay)
        if settle_at is not None and k == settle_at:
            paid.append((day, sum(a for _, a in dues[k - 1 :])))
            break
        paid.append((day, amount))
    return [(d, a) for d, a in paid if d <= today], None


def generate(
    today: date, *, months: int = 24, per_month: int = 70, seed: int = 15
) -> DemoPortfolio:
    rng = random.Random(seed)
    product = LoanProduct()
    out = DemoPortfolio(
        applications=[], customers=[], agreements=[], instalments=[], transactions=[], sessions=[]
    )
    loan_no = 0
    start_month = add_months(today.replace(day=1), -months)
    for m in range(months + 1):
        month = add_months(start_month, m)
        # The business grows: later months bring more applications.
        count = int(per_month * (0.6 + 0.8 * m / max(1, months)))
        for _ in range(count):
            day = month + timedelta(days=rng.randint(0, 27))
            if day >= today:
                continue
            created = _at(day, rng)
            customer_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            application_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            amount = rng.choice((30_000, 50_000, 75_000, 100_000, 150_000, 200_000, 300_000))
            term = rng.choice((6, 9, 12, 12, 18, 24))
            area = rng.choice(AREAS)
            steps = copy.deepcopy(EXAMPLES)
            steps["loan"].update(
                amount_pence=amount, term_months=term, purpose=rng.choice(PURPOSES)
            )
            steps["address"]["postcode"] = f"{area}{rng.randint(1, 9)} {rng.randint(1, 9)}AB"
            steps["employment"]["status"] = rng.choice(EMPLOYMENT)
            doc: dict[str, Any] = {
                "_id": application_id,
                "reference": f"FF-DEMO{len(out.applications):05d}",
                "customer_id": customer_id,
                "status": "draft",
                "version": 1,
                "steps": steps,
                "created_at": created,
                "updated_at": created,
            }
            out.applications.append(doc)
            source, medium, referrer, _w = rng.choices(SOURCES, weights=[s[3] for s in SOURCES])[0]
            if rng.random() < 0.9:
                out.sessions.append(
                    (
                        f"demo-{application_id}",
                        created - timedelta(minutes=20),
                        f"demo-{application_id}-0",
                        "local",
                        "application",
                        f"anon-{customer_id[:8]}",
                        created - timedelta(minutes=20),
                        created,
                        12,
                        7,
                        created,
                        created,
                        application_id,
                        source,
                        None if source == "direct" else source,
                        medium,
                        None,
                        referrer,
                        rng.choice(("mobile", "desktop", "tablet")),
                    )
                )
            if rng.random() < 0.12:
                continue  # never submitted
            submitted = created + timedelta(minutes=rng.randint(10, 90))
            outcome = rng.choices(["approve", "refer", "decline"], weights=[50, 25, 25])[0]
            reasons = [rng.choice(ENGINE_DECLINES)] if outcome == "decline" else []
            decision = {
                "outcome": outcome,
                "reasons": reasons,
                "rule_set_version": RULE_SET_VERSION,
                "offer": None,
                "affordability": None,
                "risk_flags": [],
                "trace": [],
            }
            doc.update(submitted_at=submitted, decision=decision, updated_at=submitted, version=2)
            if outcome == "decline":
                doc["status"] = "declined"
                continue
            decided = submitted + timedelta(hours=rng.uniform(1, 72))
            if decided.date() >= today:
                doc["status"] = "in_review"
                continue
            if rng.random() < 0.12:
                doc.update(
                    status="declined",
                    updated_at=decided,
                    version=3,
                    decline={
                        "reason_code": rng.choice(STAFF_DECLINES),
                        "note": "Demo decline.",
                        "declined_by": STAFF,
                        "declined_at": decided,
                        "at_version": 2,
                    },
                )
                continue
            priced = quote(product, amount, term, decided.date())
            offer = {
                "amount_pence": amount,
                "term_months": term,
                "monthly_instalment_pence": priced.monthly_instalment_pence,
                "apr_percent": priced.apr_percent,
                "total_repayable_pence": priced.total_repayable_pence,
                "annual_rate_bps": product.annual_rate_bps,
            }
            made: dict[str, Any] = {
                "offer": offer,
                "proposed_by": STAFF,
                "made_at": decided,
                "at_version": 2,
            }
            doc.update(status="offered", offer=made, updated_at=decided, version=3)
            responded = decided + timedelta(hours=rng.uniform(2, 60))
            if responded.date() >= today:
                continue
            if rng.random() < 0.1:
                made.update(response="declined", responded_at=responded)
                doc.update(status="offer_declined", updated_at=responded, version=4)
                continue
            made.update(response="accepted", responded_at=responded)
            start = responded.date() + timedelta(days=rng.randint(0, 2))
            if start >= today:
                doc.update(status="accepted", updated_at=responded, version=4)
                continue
            loan_no += 1
            number = f"{AGREEMENT_PREFIX}{loan_no:06d}"
            funded = _at(start, rng)
            doc.update(
                status="accepted",
                updated_at=funded,
                version=4,
                lms={
                    "state": "created",
                    "agreement_number": number,
                    "attempts": 1,
                    "synced_at": funded,
                    "updated_at": funded,
                },
            )
            _book(
                out,
                rng,
                number,
                loan_no,
                customer_id,
                application_id,
                area,
                priced.apr_percent,
                amount,
                term,
                start,
                funded,
                today,
                product.annual_rate_bps,
            )
    return out


def _book(
    out: DemoPortfolio,
    rng: random.Random,
    number: str,
    loan_no: int,
    customer_id: str,
    application_id: str,
    area: str,
    apr: float,
    amount: int,
    term: int,
    start: date,
    funded: datetime,
    today: date,
    rate_bps: int,
) -> None:
    terms = LoanTerms(
        advance_pence=amount,
        term_months=term,
        annual_rate_bps=rate_bps,
        apr_percent=apr,
        start_date=start,
    )
    schedule = schedule_for(terms, start)
    total = sum(i.amount_pence for i in schedule)
    payments, written_off = _payments(rng, [(i.due_date, i.amount_pence) for i in schedule], today)
    paid = sum(a for _, a in payments)
    owed = 0 if written_off else max(0, total - paid)
    due = sum(i.amount_pence for i in schedule if i.due_date <= today)
    arrears = 0 if written_off else max(0, due - paid)
    status = "Settled" if owed == 0 else ("Arrears" if arrears > 0 else "Live")
    out.customers.append(
        (
            loan_no,
            customer_id,
            "Mx",
            "Demo",
            f"Customer{loan_no}",
            None,
            None,
            None,
            None,
            None,
            "Demo Town",
            f"{area}1 1AA",
            _naive(funded),
        )
    )
    out.agreements.append(
        (
            loan_no,
            number,
            loan_no,
            application_id,
            "FFPL",
            status,
            decimal_from_pence(amount),
            term,
            decimal_from_pence(rate_bps),
            round(apr, 4),
            decimal_from_pence(schedule[0].amount_pence),
            decimal_from_pence(total),
            decimal_from_pence(owed),
            decimal_from_pence(arrears),
            start,
            schedule[0].due_date,
            schedule[-1].due_date,
            _naive(funded),
            _naive(funded),
        )
    )
    left = paid
    for i in schedule:
        on_it = min(i.amount_pence, left)
        left -= on_it
        state = (
            "Paid"
            if on_it == i.amount_pence
            else "PartPaid"
            if on_it > 0
            else "Overdue"
            if i.due_date <= today
            else "Due"
        )
        out.instalments.append(
            (
                loan_no,
                i.number,
                i.due_date,
                decimal_from_pence(i.amount_pence),
                decimal_from_pence(i.principal_pence),
                decimal_from_pence(i.interest_pence),
                decimal_from_pence(on_it),
                state,
            )
        )
    moves = [(start, 1, amount), (start, 2, total - amount)]
    moves += [(d, 3, a) for d, a in payments]
    if written_off is not None:
        moves.append((written_off, 6, total - paid))
    for d, type_id, value in moves:
        out.transactions.append(
            (
                loan_no,
                type_id,
                decimal_from_pence(value),
                d,
                f"DEMO-{number}-{len(out.transactions)}",
                _naive(datetime.combine(d, time(18), tzinfo=UTC)),
            )
        )


async def seed_demo_portfolio(
    loanbook: aioodbc.Connection,
    tracker: asyncpg.Connection | None,
    *,
    today: date,
    months: int = 24,
    per_month: int = 70,
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
            (
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
            ),
            customers,
        )
        await loanbook_store.insert_rows(
            loanbook,
            "Agreements",
            (
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
            ),
            agreements,
        )
        await loanbook_store.insert_rows(
            loanbook,
            "ScheduleInstalments",
            (
                "AgreementId",
                "InstalmentNumber",
                "DueDate",
                "Amount",
                "Principal",
                "Interest",
                "PaidAmount",
                "Status",
            ),
            instalments,
        )
        await loanbook_store.insert_rows(
            loanbook,
            "Transactions",
            (
                "TransactionId",
                "AgreementId",
                "TypeId",
                "Amount",
                "TransactionDate",
                "Reference",
                "CreatedAt",
            ),
            transactions,
        )
    await mongo_store.insert_applications(portfolio.applications)
    if tracker is not None:
        await pg_store.insert_sessions(tracker, portfolio.sessions)
    return portfolio
