"""Demo loans in a loan book: for the local stack's demo customers, tests and restore checks.

Each customer given gets an LMS customer record (keyed by their platform customer id, the
identity-provider subject) and two agreements: a live loan a few months in, with its payments
made on the due dates, and a small loan repaid in full. Seeding is idempotent per customer: one
who already has agreements is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import aioodbc
import msgspec
import structlog

from ff_shared.domain.dates import add_months
from ff_shared.domain.loans import CustomerDetails, LoanTerms
from ff_shared.domain.pricing import quote
from ff_shared.domain.product import LoanProduct
from ff_shared.stores.loanbook.connection import connect
from ff_shared.stores.loanbook.queries import list_customer_loans
from ff_shared.stores.loanbook.schema import ensure_loanbook
from ff_standins.loanbook.ledger import book_agreement, customer_id_of, record_payment

log = structlog.get_logger()

_DEMO_NAMES = (
    ("Ms", "Amelia", "O'Brien", "12 Harbour Street", "Leeds", "LS1 4AP"),
    ("Mr", "Tomasz", "Nowak", "3 Mill Lane", "Bradford", "BD1 2JR"),
    ("Mrs", "Grace", "Adeyemi", "48 Church Road", "Sheffield", "S1 2HE"),
)


class SeededLoan(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: str
    agreement_number: str
    status: str


def demo_customer(customer_id: str, index: int, email: str | None = None) -> CustomerDetails:
    title, first, last, street, town, postcode = _DEMO_NAMES[index % len(_DEMO_NAMES)]
    return CustomerDetails(
        platform_customer_id=customer_id,
        title=title,
        first_name=first,
        last_name=last,
        date_of_birth=date(1985 + index % 10, 5, 14),
        email=email,
        mobile_phone=f"0770090{index % 10:04d}",
        address_line1=street,
        town=town,
        postcode=postcode,
    )


def _terms(amount_pence: int, term_months: int, start: date) -> LoanTerms:
    product = LoanProduct()
    priced = quote(product, amount_pence, term_months, start)
    return LoanTerms(
        advance_pence=amount_pence,
        term_months=term_months,
        annual_rate_bps=product.annual_rate_bps,
        apr_percent=priced.apr_percent,
        start_date=start,
    )


async def _book_with_history(
    conn: aioodbc.Connection,
    customer: CustomerDetails,
    terms: LoanTerms,
    *,
    paid_instalments: int,
    today: date,
    now: datetime,
) -> str:
    booked = await book_agreement(
        conn, customer=customer, terms=terms, application_id=None, today=today, now=now
    )
    number = booked.loan.agreement_number
    for instalment in booked.schedule[:paid_instalments]:
        await record_payment(
            conn,
            agreement_number=number,
            amount_pence=instalment.amount_pence,
            reference=f"DD-{number}-{instalment.number:02d}",
            payment_date=instalment.due_date,
            today=today,
            now=now,
        )
    return number


async def seed_demo_loans(
    conn: aioodbc.Connection,
    customer_ids: Sequence[str],
    *,
    today: date,
    now: datetime,
    emails: Sequence[str | None] = (),
) -> list[SeededLoan]:
    """Book the demo agreements for each customer who has none yet; return what exists."""
    seeded: list[SeededLoan] = []
    for index, customer_id in enumerate(customer_ids):
        if await customer_id_of(conn, customer_id) is None:
            email = emails[index] if index < len(emails) else None
            customer = demo_customer(customer_id, index, email)
            # A 12-month loan of £1,000 four months in, with every instalment due so far paid.
            await _book_with_history(
                conn,
                customer,
                _terms(100_000, 12, add_months(today, -4)),
                paid_instalments=3,
                today=today,
                now=now,
            )
            # A 6-month loan of £300 taken a year ago, repaid.
            await _book_with_history(
                conn,
                customer,
                _terms(30_000, 6, add_months(today, -13)),
                paid_instalments=6,
                today=today,
                now=now,
            )
            log.info("loan_book_demo_loans_seeded", customer_index=index)
        seeded.extend(
            SeededLoan(
                customer_id=customer_id,
                agreement_number=loan.agreement_number,
                status=loan.status.value,
            )
            for loan in await list_customer_loans(conn, customer_id)
        )
    return seeded


async def create_and_seed(
    connection_string: str,
    customer_ids: Sequence[str],
    *,
    today: date,
    now: datetime,
    emails: Sequence[str | None] = (),
) -> list[SeededLoan]:
    """Create the loan-book database and tables if missing, then seed the demo loans."""
    await ensure_loanbook(connection_string)
    conn = await connect(connection_string)
    try:
        return await seed_demo_loans(conn, customer_ids, today=today, now=now, emails=emails)
    finally:
        await conn.close()
