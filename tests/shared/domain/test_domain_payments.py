"""Repayment rules: working days and Bacs lead times, booking on confirmation only, retries
under the scheme's rules, and forbearance."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ff_shared.domain import payments as rules
from ff_shared.domain.payments import Arrangement, ArrangementKind, PaymentStatus


def test_weekends_and_england_and_wales_bank_holidays_are_not_working_days() -> None:
    assert rules.is_working_day(date(2026, 12, 3))  # a Thursday
    assert not rules.is_working_day(date(2026, 12, 5))  # Saturday
    assert not rules.is_working_day(date(2026, 12, 25))  # Christmas Day
    assert not rules.is_working_day(date(2026, 12, 28))  # Boxing Day substitute
    assert not rules.is_working_day(date(2026, 8, 31))  # summer bank holiday


def test_a_charge_date_on_a_non_working_day_moves_to_the_next_working_day() -> None:
    assert rules.charge_date_for(date(2026, 12, 25)) == date(2026, 12, 29)
    assert rules.charge_date_for(date(2026, 12, 5)) == date(2026, 12, 7)
    assert rules.charge_date_for(date(2026, 12, 3)) == date(2026, 12, 3)


def test_the_earliest_charge_date_is_three_working_days_away_skipping_holidays() -> None:
    assert rules.earliest_charge_date(date(2026, 12, 3)) == date(2026, 12, 8)
    # Christmas week: 24th (Thu) -> 29th, 30th, 31st.
    assert rules.earliest_charge_date(date(2026, 12, 24)) == date(2026, 12, 31)
    assert rules.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_a_collection_is_submitted_lead_days_before_its_charge_date() -> None:
    due = date(2027, 1, 4)  # a Monday after New Year's Day
    assert rules.submission_date_for(due) == date(2026, 12, 29)
    assert not rules.collection_due(due, date(2026, 12, 21))
    assert rules.collection_due(due, date(2026, 12, 23))
    assert rules.collection_due(due, due)
    assert not rules.collection_due(due, date(2027, 1, 5))


def test_a_late_collection_asks_for_the_earliest_date_bacs_allows() -> None:
    assert rules.planned_charge_date(date(2026, 12, 4), date(2026, 12, 3)) == date(2026, 12, 8)
    assert rules.planned_charge_date(date(2026, 12, 18), date(2026, 12, 3)) == date(2026, 12, 18)


def test_the_loan_book_records_a_payment_only_on_confirmation_and_only_once() -> None:
    for status in PaymentStatus:
        expected = status in (PaymentStatus.CONFIRMED, PaymentStatus.PAID_OUT)
        assert rules.books_payment(status, already_booked=False) is expected
        assert rules.books_payment(status, already_booked=True) is False


def test_only_a_funds_failure_is_retried_and_never_more_than_the_scheme_allows() -> None:
    assert rules.may_retry("insufficient_funds", 0, paused=False)
    assert rules.may_retry("refer_to_payer", 1, paused=False)
    assert not rules.may_retry("insufficient_funds", rules.MAX_RETRIES, paused=False)
    assert not rules.may_retry("bank_account_closed", 0, paused=False)
    assert not rules.may_retry("mandate_cancelled", 0, paused=False)
    assert not rules.may_retry(None, 0, paused=False)
    assert not rules.may_retry("insufficient_funds", 0, paused=True)


def _arrangement(kind: ArrangementKind, start: date, end: date, pence: int | None) -> Arrangement:
    return Arrangement(
        id=1,
        loan_id="L1",
        kind=kind,
        starts_on=start,
        ends_on=end,
        instalment_pence=pence,
        note=None,
        agreed_by="staff",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_a_breathing_space_pauses_collections_and_arrears_contact_for_its_term() -> None:
    space = _arrangement(
        ArrangementKind.BREATHING_SPACE, date(2026, 12, 1), date(2027, 1, 29), None
    )
    plan = _arrangement(ArrangementKind.PAYMENT_PLAN, date(2026, 11, 1), date(2027, 6, 1), 2_000)
    during = rules.active_arrangement([plan, space], date(2026, 12, 15))
    assert during is space
    assert rules.collection_amount(15_000, during) == 0
    assert not rules.arrears_contact_allowed(during)
    after = rules.active_arrangement([plan, space], date(2027, 2, 1))
    assert after is plan
    assert rules.collection_amount(15_000, after) == 2_000
    assert rules.arrears_contact_allowed(after)
    assert rules.active_arrangement([space], date(2027, 1, 30)) is None
    assert rules.collection_amount(15_000, None) == 15_000


def test_a_payment_plan_never_collects_more_than_the_instalment() -> None:
    plan = _arrangement(ArrangementKind.PAYMENT_PLAN, date(2026, 11, 1), date(2027, 6, 1), 20_000)
    assert rules.collection_amount(15_000, plan) == 15_000


def test_an_arrangement_ended_early_no_longer_applies() -> None:
    space = _arrangement(
        ArrangementKind.BREATHING_SPACE, date(2026, 12, 1), date(2027, 1, 29), None
    )
    ended = Arrangement(
        **{
            **{f: getattr(space, f) for f in space.__struct_fields__},
            "ended_at": datetime(2026, 12, 10, 9, tzinfo=UTC),
        }
    )
    assert space.applies_on(date(2026, 12, 11))
    assert not ended.applies_on(date(2026, 12, 11))
    assert ended.applies_on(date(2026, 12, 9))


def test_customers_see_a_small_set_of_payment_states() -> None:
    states = {rules.customer_state(s).value for s in PaymentStatus}
    assert states == {"pending", "confirmed", "paid_out", "failed", "charged_back", "cancelled"}
