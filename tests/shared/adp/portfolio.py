"""A small portfolio whose every figure was worked out by hand (see test_insights.py).

Six loans of January 2026 (customers d1..d6; £600 over three months, £210 a month) with
different fates, six loans funded in June for applications A1..A6, applications in June and in
May, all as at 30 June 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ff_shared.adp.sources import (
    AgreementRow,
    ApplicationRow,
    DecisionEvent,
    InstalmentRow,
    JourneyRow,
    TransactionRow,
)
from ff_shared.adp.transform import Inputs

AS_OF = date(2026, 6, 30)
JUNE = (date(2026, 6, 1), date(2026, 6, 30))


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _engine(outcome: str, when: datetime, *reasons: str) -> DecisionEvent:
    return DecisionEvent(decided_by="engine", outcome=outcome, reasons=reasons, decided_at=when)


def _staff(outcome: str, when: datetime) -> DecisionEvent:
    return DecisionEvent(decided_by="staff", outcome=outcome, reasons=(), decided_at=when)


def applications() -> list[ApplicationRow]:
    rows: list[ApplicationRow] = []
    june2 = at(date(2026, 6, 2))
    for n in range(1, 7):
        rows.append(
            ApplicationRow(
                application_id=f"A{n}",
                customer_key=f"c{n}",
                status="accepted",
                created_at=at(date(2026, 6, 1)),
                updated_at=at(date(2026, 6, 5)),
                submitted_at=june2,
                decisions=(
                    _engine("approve", june2),
                    _staff("approve", june2 + timedelta(hours=24)),
                ),
                offer_made_at=june2 + timedelta(hours=24),
                offer_amount_pence=100_000,
                offer_term_months=12,
                offer_instalment_pence=9_000,
                offer_apr_percent=42.6,
                offer_response="accepted",
                offer_responded_at=at(date(2026, 6, 5)),
                requested_amount_pence=100_000,
                requested_term_months=12,
                purpose="household",
                employment_status="employed_full_time",
                postcode_area="M",
                agreement_number=f"L{n}",
            )
        )
    reasons = ["unaffordable"] * 3 + ["adverse_credit_history"] * 2
    for n, reason in zip(range(7, 12), reasons, strict=True):
        rows.append(
            ApplicationRow(
                application_id=f"A{n}",
                customer_key=f"c{n}",
                status="declined",
                created_at=at(date(2026, 6, 3)),
                updated_at=at(date(2026, 6, 4)),
                submitted_at=at(date(2026, 6, 4)),
                decisions=(_engine("decline", at(date(2026, 6, 4)), reason),),
                requested_amount_pence=150_000,
                requested_term_months=18,
                purpose="car",
                employment_status="self_employed",
                postcode_area="LS",
            )
        )
    rows.append(
        ApplicationRow(
            application_id="A12",
            customer_key="c12",
            status="in_review",
            created_at=at(date(2026, 6, 20)),
            updated_at=at(date(2026, 6, 20)),
            submitted_at=at(date(2026, 6, 20)),
            decisions=(_engine("refer", at(date(2026, 6, 20)), "income_unverified"),),
            requested_amount_pence=50_000,
            requested_term_months=6,
            postcode_area="LS",
        )
    )
    rows.append(
        ApplicationRow(
            application_id="A13",
            customer_key="c13",
            status="draft",
            created_at=at(date(2026, 6, 25)),
            updated_at=at(date(2026, 6, 25)),
        )
    )
    may10 = at(date(2026, 5, 10))
    for n in range(1, 6):
        rows.append(
            ApplicationRow(
                application_id=f"P{n}",
                customer_key=f"p{n}",
                status="offered",
                created_at=may10,
                updated_at=may10 + timedelta(hours=48),
                submitted_at=may10,
                decisions=(
                    _engine("approve", may10),
                    _staff("approve", may10 + timedelta(hours=48)),
                ),
                postcode_area="M",
            )
        )
    return rows


def _agreement(
    number: str,
    customer: str,
    start: date,
    advance: int,
    term: int,
    instalment: int,
    area: str,
    application: str | None,
) -> AgreementRow:
    return AgreementRow(
        agreement_number=number,
        application_id=application,
        customer_key=customer,
        postcode_area=area,
        product_code="FFPL",
        status="Live",
        advance_pence=advance,
        term_months=term,
        instalment_pence=instalment,
        total_repayable_pence=instalment * term,
        balance_pence=0,
        arrears_pence=0,
        start_date=start,
        created_at=at(start),
        updated_at=at(start),
    )


def loans() -> tuple[list[AgreementRow], list[InstalmentRow], list[TransactionRow]]:
    agreements: list[AgreementRow] = []
    instalments: list[InstalmentRow] = []
    transactions: list[TransactionRow] = []
    ids = iter(range(1, 10_000))

    def pay(number: str, day: date, amount: int, type_id: int = 3) -> None:
        transactions.append(
            TransactionRow(
                transaction_id=next(ids),
                agreement_number=number,
                type_id=type_id,
                amount_pence=amount,
                transaction_date=day,
                created_at=at(day),
            )
        )

    dues = [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    for n in range(1, 7):
        number = f"B{n}"
        agreements.append(
            _agreement(number, f"d{n}", date(2026, 1, 1), 60_000, 3, 21_000, "LS", None)
        )
        for k, due in enumerate(dues, start=1):
            instalments.append(
                InstalmentRow(
                    agreement_number=number,
                    number=k,
                    due_date=due,
                    amount_pence=21_000,
                    principal_pence=20_000,
                    interest_pence=1_000,
                    paid_pence=0,
                    status="Due",
                )
            )
        pay(number, date(2026, 1, 1), 60_000, type_id=1)
    for number in ("B1", "B2", "B3"):
        for due in dues:
            pay(number, due, 21_000)
    pay("B4", dues[0], 21_000)
    pay("B5", dues[0], 21_000)
    pay("B5", dues[1], 21_000)
    pay("B5", date(2026, 5, 15), 21_000)
    pay("B6", date(2026, 6, 15), 63_000, type_id=6)
    for n in range(1, 7):
        number = f"L{n}"
        agreements.append(
            _agreement(number, f"c{n}", date(2026, 6, 10), 100_000, 12, 9_000, "M", f"A{n}")
        )
        for k in range(1, 13):
            instalments.append(
                InstalmentRow(
                    agreement_number=number,
                    number=k,
                    due_date=date(2026 + (5 + k) // 12, (5 + k) % 12 + 1, 10),
                    amount_pence=9_000,
                    principal_pence=8_000,
                    interest_pence=1_000,
                    paid_pence=0,
                    status="Due",
                )
            )
        pay(number, date(2026, 6, 10), 100_000, type_id=1)
    return agreements, instalments, transactions


def inputs() -> Inputs:
    agreements, instalments, transactions = loans()
    return Inputs(
        applications=applications(),
        journeys=[
            JourneyRow(
                application_id=f"A{n}", source="google", utm_medium="cpc", referrer_host=None
            )
            for n in range(1, 7)
        ],
        agreements=agreements,
        instalments=instalments,
        transactions=transactions,
    )
