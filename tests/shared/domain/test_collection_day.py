"""The rule for moving collections to another day, and re-dating a schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec
import pytest

from ff_shared.domain.collection_day import first_movable_instalment
from ff_shared.domain.loan_ledger import BadPaymentDay, redate
from ff_shared.domain.loans import Instalment, InstalmentStatus, LoanTerms, book

TERMS = LoanTerms(
    advance_pence=60_000,
    term_months=6,
    annual_rate_bps=3600,
    apr_percent=42.6,
    start_date=date(2027, 2, 10),
)
TODAY = date(2027, 2, 10)


def _booked() -> tuple[Instalment, ...]:
    return book(
        TERMS,
        agreement_number="FF00000001",
        customer_id="sub",
        application_id="app",
        first_transaction_id=1,
        today=TODAY,
        now=datetime(2027, 2, 10, tzinfo=UTC),
    ).schedule


def test_the_move_starts_after_the_collections_already_created() -> None:
    schedule = _booked()
    assert first_movable_instalment(schedule, day=25, collected=[], today=TODAY) == 1
    assert first_movable_instalment(schedule, day=25, collected=[1, 2], today=TODAY) == 3


def test_a_new_date_inside_the_bacs_lead_time_waits_a_month() -> None:
    schedule = _booked()
    # 10 March is due; on Tuesday 9 March the earliest charge date is Friday the 12th: a move to
    # the 11th, or to the 1st, starts with April's instalment.
    assert first_movable_instalment(schedule, day=11, collected=[], today=date(2027, 3, 9)) == 2
    assert first_movable_instalment(schedule, day=1, collected=[], today=date(2027, 3, 9)) == 2
    assert first_movable_instalment(schedule, day=20, collected=[], today=date(2027, 3, 9)) == 1


def test_an_instalment_in_arrears_keeps_its_date_and_the_day_is_1_to_28() -> None:
    schedule = list(_booked())
    schedule[0] = msgspec.structs.replace(schedule[0], status=InstalmentStatus.OVERDUE)
    assert first_movable_instalment(schedule, day=20, collected=[], today=TODAY) == 2
    with pytest.raises(ValueError):
        first_movable_instalment(schedule, day=29, collected=[], today=TODAY)
    assert first_movable_instalment(schedule, day=20, collected=range(1, 7), today=TODAY) is None


def test_redating_moves_every_instalment_from_the_first_and_keeps_amounts() -> None:
    booked = book(
        TERMS,
        agreement_number="FF00000001",
        customer_id="sub",
        application_id="app",
        first_transaction_id=1,
        today=TODAY,
        now=datetime(2027, 2, 10, tzinfo=UTC),
    )
    later = datetime(2027, 2, 11, tzinfo=UTC)
    loan, after = redate(
        booked.loan, booked.schedule, payment_day=25, from_instalment=2, today=TODAY, now=later
    )
    assert [i.due_date for i in after] == [
        date(2027, 3, 10),
        date(2027, 4, 25),
        date(2027, 5, 25),
        date(2027, 6, 25),
        date(2027, 7, 25),
        date(2027, 8, 25),
    ]
    assert [i.amount_pence for i in after] == [i.amount_pence for i in booked.schedule]
    assert (loan.final_payment_date, loan.balance_pence) == (
        date(2027, 8, 25),
        booked.loan.balance_pence,
    )
    # The same day again changes nothing.
    assert (
        redate(loan, after, payment_day=25, from_instalment=2, today=TODAY, now=later)[1] == after
    )
    for day, first in ((29, 2), (0, 2), (25, 99)):
        with pytest.raises(BadPaymentDay):
            redate(loan, after, payment_day=day, from_instalment=first, today=TODAY, now=later)
