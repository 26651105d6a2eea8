"""OBV wire shapes to domain types: exact pence, signed amounts, and every problem named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ff_shared.integrations.obv import schemas as wire
from ff_shared.integrations.obv.mapping import (
    Problem,
    ReportInvalid,
    basis_points,
    pence,
    report_from_wire,
)
from ff_standins.obv.households import generate_report

GENERATED = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def _raw(household: str = "salaried") -> dict[str, Any]:
    report = generate_report(
        reference="OBV-MAPPINGTEST1",
        application_reference="app-1",
        household=household,  # type: ignore[arg-type]
        generated_at=GENERATED,
        self_url="http://obv.test/v1/reports/OBV-MAPPINGTEST1",
    )
    raw: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(report))
    return raw


def _map(raw: dict[str, Any]) -> Any:
    encoded = msgspec.json.encode(raw)
    return report_from_wire(msgspec.json.decode(encoded, type=wire.Report), raw=encoded)


def _problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ReportInvalid) as raised:
        _map(raw)
    assert raised.value.raw, "the raw payload travels with the error, for quarantine"
    assert not raised.value.retryable
    return [p.path for p in raised.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1850.00", 185_000), ("0.10", 10), ("0.5", 50), ("7", 700), ("1.23000", 123), ("0", 0)],
)
def test_decimal_strings_become_exact_pence(text: str, expected: int) -> None:
    assert pence(wire.Amount(amount=text, currency="GBP"), "x") == expected


@pytest.mark.parametrize("text", ["1.001", "-5.00", "12,50", "1e3", "", " 1.00", "abc", "1."])
def test_amounts_that_are_not_whole_pence_or_not_decimals_are_problems(text: str) -> None:
    with pytest.raises(Problem) as raised:
        pence(wire.Amount(amount=text, currency="GBP"), "Data.Transaction[0].Amount")
    assert raised.value.path == "Data.Transaction[0].Amount.Amount"


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_any_pence_amount_survives_the_decimal_string_round_trip(value: int) -> None:
    text = f"{value // 100}.{value % 100:02d}"
    assert pence(wire.Amount(amount=text, currency="GBP"), "x") == value


def test_share_of_income_becomes_basis_points() -> None:
    assert basis_points("0.1250", "x") == 1250
    assert basis_points("0.00005", "x") == 1
    with pytest.raises(Problem):
        basis_points("12%", "x")


def test_a_generated_report_maps_with_credits_positive_and_debits_negative() -> None:
    raw = _raw()
    report = _map(raw)
    assert len(report.transactions) == len(raw["Data"]["Transaction"])
    for mapped, original in zip(report.transactions, raw["Data"]["Transaction"], strict=True):
        sign = 1 if original["CreditDebitIndicator"] == "Credit" else -1
        assert mapped.amount_pence == sign * pence(
            wire.Amount(amount=original["Amount"]["Amount"], currency="GBP"), "x"
        )
        assert mapped.booked_at.tzinfo is UTC
        assert mapped.booked_offset_minutes in (0, 60)
    assert report.summary.monthly_income_pence > 0
    assert report.accounts[0].identification is not None


def test_a_transaction_in_another_currency_than_its_account_is_a_problem() -> None:
    raw = _raw()
    raw["Data"]["Transaction"][3]["Amount"]["Currency"] = "EUR"
    assert _problems(raw) == ["Data.Transaction[3].Amount.Currency"]


def test_duplicate_transaction_ids_are_a_problem() -> None:
    raw = _raw()
    raw["Data"]["Transaction"][7]["TransactionId"] = raw["Data"]["Transaction"][6]["TransactionId"]
    raw["Data"]["Transaction"][7]["AccountId"] = raw["Data"]["Transaction"][6]["AccountId"]
    assert "Data.Transaction[7].TransactionId" in _problems(raw)


def test_a_booking_time_without_an_offset_or_after_the_report_is_a_problem() -> None:
    raw = _raw()
    raw["Data"]["Transaction"][1]["BookingDateTime"] = "2026-01-05T10:00:00"
    raw["Data"]["Transaction"][2]["BookingDateTime"] = "2027-01-05T10:00:00+00:00"
    assert _problems(raw) == [
        "Data.Transaction[1].BookingDateTime",
        "Data.Transaction[2].BookingDateTime",
    ]


def test_every_problem_is_listed_not_only_the_first() -> None:
    raw = _raw("gambling_heavy")
    raw["Data"]["Transaction"][0]["Amount"]["Amount"] = "10.001"
    raw["Data"]["Transaction"][5]["AccountId"] = "no-such-account"
    raw["Data"]["Summary"]["Gambling"]["ShareOfIncome"] = "lots"
    raw["Data"]["Summary"]["Income"]["MonthlyAverage"]["Currency"] = "USD"
    assert sorted(_problems(raw)) == sorted(
        [
            "Data.Transaction[0].Amount.Amount",
            "Data.Transaction[5].AccountId",
            "Data.Summary.Gambling.ShareOfIncome",
            "Data.Summary.Income.MonthlyAverage.Currency",
        ]
    )


def test_a_non_sterling_account_is_a_problem() -> None:
    raw = _raw()
    raw["Data"]["Account"][1]["Currency"] = "EUR"
    problems = _problems(raw)
    assert "Data.Account[1].Currency" in problems
