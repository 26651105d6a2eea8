"""The one-pass judging gives exactly the verdicts of the judging as first written.

``tests/fixtures/reference_obv`` keeps that judging verbatim. Every verdict is compared whole:
the canonical payload and its hash, the domain report the archive rows and the decision engine
are made from, the provider's summary, and for a refusal every reason's code, path and message,
in order. Reports are the OBV simulator's generated households, well-formed and broken in each
way the rules or the mapping know (and some they do not).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fixtures.reference_obv import validate as first_written

from ff_shared.domain.obv_archive.payloads import canonical_json
from ff_shared.integrations.obv import schemas as wire
from ff_shared.integrations.obv.canonical import report_canonical_json
from ff_shared.stores.postgres.obv import transaction_records
from ff_standins.obv.households import HOUSEHOLDS, generate_report
from ff_workers.obv_archiver.one_pass import accept
from ff_workers.obv_archiver.validate import Archivable, judge

REFERENCE = "OBV-ONEPASS0001"
GENERATED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RECEIVED = GENERATED + timedelta(minutes=2)

Report = dict[str, Any]
Mutation = Callable[[Report], None]


@functools.cache
def _generated(household: str, seed: int) -> bytes:
    report = generate_report(
        reference=REFERENCE,
        application_reference="app-onepass",
        household=household,  # type: ignore[arg-type]
        generated_at=GENERATED,
        self_url=f"http://obv.test/v1/reports/{REFERENCE}",
        seed=seed,
        extra_transactions=seed * 7,
    )
    return msgspec.json.encode(report)


def _report(household: str = "salaried", seed: int = 0) -> Report:
    decoded: Report = msgspec.json.decode(_generated(household, seed))
    return decoded


def _verdicts(raw: bytes, *, reference: str = REFERENCE) -> tuple[Any, Any]:
    """(new, reference) verdicts as plain values, the wire reading passed in when there is one
    (as the client does) — and the new one also without it."""
    try:
        decoded: wire.Report | None = msgspec.json.decode(raw, type=wire.Report)
    except msgspec.DecodeError:
        decoded = None
    new = judge(raw, reference=reference, received_at=RECEIVED, decoded=decoded)
    alone = judge(raw, reference=reference, received_at=RECEIVED)
    old = reference_judge(raw, reference=reference, decoded=decoded)
    assert type(new).__name__ == type(old).__name__
    assert msgspec.to_builtins(alone) == msgspec.to_builtins(new)
    return msgspec.to_builtins(new), msgspec.to_builtins(old)


def reference_judge(raw: bytes, *, reference: str, decoded: wire.Report | None) -> Any:
    return first_written.judge(raw, reference=reference, received_at=RECEIVED, decoded=decoded)


def _tx(report: Report, index: int) -> Report:
    rows: list[Report] = report["Data"]["Transaction"]
    return rows[index % len(rows)]


def _set(path: str, value: Any) -> Mutation:
    """Set ``Data.Transaction[3].Amount.Amount``-style paths (``-`` deletes the key)."""

    def mutate(report: Report) -> None:
        node: Any = report
        parts = path.replace("]", "").replace("[", ".").split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        if value == "-":
            del node[parts[-1]]
        else:
            node[parts[-1]] = value

    return mutate


def _duplicate_transaction(report: Report) -> None:
    rows = report["Data"]["Transaction"]
    rows[7]["TransactionId"] = rows[3]["TransactionId"]
    rows[7]["AccountId"] = rows[3]["AccountId"]


def _duplicate_account(report: Report) -> None:
    report["Data"]["Account"].append(copy.deepcopy(report["Data"]["Account"][0]))


def _credit_line(amount: str) -> Mutation:
    def mutate(report: Report) -> None:
        report["Data"]["Balance"][0]["CreditLine"] = [
            {"Included": False, "Amount": {"Amount": "bad", "Currency": "GBP"}},
            {
                "Included": True,
                "Type": "Available",
                "Amount": {"Amount": amount, "Currency": "GBP"},
            },
        ]

    return mutate


AMOUNTS = [
    "12.34", "12.3", "12", "0", "0.00", "12.34000", "12.340", "0012.30", "9999999999999.99",
    "12.345", "12.34001", "12.", ".50", "", "abc", "-5.00", " 1.00", "1.00 ", "12.50\n", "1e3",
    "12,50", "١٢.٣٤", "12.٣٤", "²", "12345678901234", "1.123456", "+1.00",
]  # fmt: skip

MOMENTS = [
    "2026-11-28T12:00:00Z", "2026-11-28T12:00:00+00:00", "2026-11-28T12:01:00Z",
    "2026-11-28T12:06:00Z", "2026-11-28T13:00:00+01:00", "2026-11-28T12:30:00+05:30",
    "2026-06-01T08:15:00-08:00", "2026-06-01T08:15:00.123456+01:00", "2026-06-01T08:15:00",
    "1989-12-31T23:59:59Z", "1990-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z",
]  # fmt: skip

NAMED: dict[str, Mutation] = {
    "well formed": lambda report: None,
    "pending status": _set("Data.Transaction[4].Status", "Pending"),
    "duplicate transaction": _duplicate_transaction,
    "duplicate account": _duplicate_account,
    "transaction of an unknown account": _set("Data.Transaction[2].AccountId", "0000"),
    "balance of an unknown account": _set("Data.Balance[1].AccountId", "0000"),
    "euro transaction": _set("Data.Transaction[5].Amount.Currency", "EUR"),
    "euro running balance": _set("Data.Transaction[5].Balance.Amount.Currency", "EUR"),
    "euro balance": _set("Data.Balance[0].Amount.Currency", "EUR"),
    "euro account": _set("Data.Account[0].Currency", "EUR"),
    "lower-case account currency": _set("Data.Account[0].Currency", "gbp"),
    "bad running balance": _set("Data.Transaction[9].Balance.Amount.Amount", "1.001"),
    "no running balance": _set("Data.Transaction[9].Balance", None),
    "no value date": _set("Data.Transaction[9].ValueDateTime", None),
    "value date key missing": _set("Data.Transaction[9].ValueDateTime", "-"),
    "no merchant or codes": lambda r: [
        _tx(r, 11).update(MerchantDetails=None, BankTransactionCode=None),
        _tx(r, 11).pop("ProprietaryBankTransactionCode"),
    ][0],
    "other reference": _set("Data.Reference", "OBV-SOMEONEELSE"),
    "generated after receipt": _set("Data.GeneratedDateTime", "2026-11-28T12:30:00Z"),
    "generated without offset": _set("Data.GeneratedDateTime", "2026-11-28T12:00:00"),
    "generated in another offset": _set("Data.GeneratedDateTime", "2026-11-28T13:00:00+01:00"),
    "first after last available": _set("Meta.FirstAvailableDateTime", "2026-11-29T00:00:00Z"),
    "first available late": _set("Meta.FirstAvailableDateTime", "2026-10-01T00:00:00Z"),
    "no meta times": _set("Meta", {}),
    "last available in the future": _set("Meta.LastAvailableDateTime", "2027-01-01T00:00:00Z"),
    "balance in the future": _set("Data.Balance[0].DateTime", "2026-11-28T12:20:00Z"),
    "credit line": _credit_line("250.00"),
    "bad credit line": _credit_line("250.001"),
    "months analysed zero": _set("Data.Summary.MonthsAnalysed", 0),
    "bad gambling share": _set("Data.Summary.Gambling.ShareOfIncome", "lots"),
    "euro summary": _set("Data.Summary.Currency", "EUR"),
    "summary amount": _set("Data.Summary.Income.MonthlyAverage.Amount", "1.005"),
    "an unknown key": _set("Data.Transaction[1].Colour", "blue"),
    "an integer as a float": _set("Data.Summary.MonthsAnalysed", 12.0),
    "a number where a string belongs": _set("Data.Transaction[1].Amount.Amount", 12.5),
    "a required key missing": _set("Data.Transaction[1].AccountId", "-"),
    "an unknown status": _set("Data.Transaction[1].Status", "Cancelled"),
    "no transactions": _set("Data.Transaction", []),
    "unicode text": _set("Data.Transaction[1].TransactionInformation", "CAFÉ \u2603 \U0001f600"),
}
for n, text in enumerate(AMOUNTS):
    NAMED[f"amount {text!r}"] = _set(f"Data.Transaction[{n}].Amount.Amount", text)
for n, moment in enumerate(MOMENTS):
    NAMED[f"booked {moment}"] = _set(f"Data.Transaction[{n + 40}].BookingDateTime", moment)
    NAMED[f"value {moment}"] = _set(f"Data.Transaction[{n + 60}].ValueDateTime", moment)
    NAMED[f"balance at {moment}"] = _set("Data.Balance[1].DateTime", moment)


@pytest.mark.parametrize("name", list(NAMED))
def test_each_kind_of_report_gets_the_reference_verdict(name: str) -> None:
    report = _report()
    NAMED[name](report)
    new, old = _verdicts(msgspec.json.encode(report))
    assert new == old


@pytest.mark.parametrize("household", HOUSEHOLDS)
def test_every_household_is_archived_with_the_reference_rows(household: str) -> None:
    raw = _generated(household, 3)
    new, old = _verdicts(raw)
    assert new == old
    verdict = judge(raw, reference=REFERENCE, received_at=RECEIVED)
    assert isinstance(verdict, Archivable)
    fixture = first_written.judge(raw, reference=REFERENCE, received_at=RECEIVED)
    assert isinstance(fixture, first_written.Archivable)
    assert list(transaction_records(1, verdict.version.report)) == list(
        transaction_records(1, fixture.version.report)
    )


@pytest.mark.parametrize("household", HOUSEHOLDS)
def test_a_well_formed_report_takes_the_one_pass(household: str) -> None:
    """Else the equality above would only be comparing the reference with itself."""
    raw = _generated(household, 2)
    mapped = accept(
        msgspec.json.decode(raw, type=wire.Report), reference=REFERENCE, received_at=RECEIVED
    )
    fixture = first_written.judge(raw, reference=REFERENCE, received_at=RECEIVED)
    assert isinstance(fixture, first_written.Archivable)
    assert mapped == fixture.version.report


def test_another_reference_asked_for_gets_the_reference_verdict() -> None:
    new, old = _verdicts(_generated("gig", 0), reference="OBV-NOTTHISONE")
    assert new == old
    assert new["reasons"][0]["code"] == "reference_mismatch"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b'{"Data": {"Reference": "OBV-1"',
        b"[]",
        b'{"Data": null, "Links": {"Self": "x"}}',
        b'{"Links": {"Self": "x"}, "Data": {"Reference": "a", "Reference": "b"}}',
    ],
)
def test_bodies_that_are_not_reports_get_the_reference_verdict(raw: bytes) -> None:
    new, old = _verdicts(raw)
    assert new == old


def test_a_body_cut_short_gets_the_reference_verdict() -> None:
    raw = _generated("benefits", 1)
    new, old = _verdicts(raw[: len(raw) // 2])
    assert new == old


def test_reordered_keys_and_whitespace_give_the_reference_canonical_form() -> None:
    report = _report("gambling_heavy")
    loose = msgspec.json.format(msgspec.json.encode(dict(reversed(report.items()))), indent=3)
    assert report_canonical_json(loose) == canonical_json(loose)
    new, old = _verdicts(loose)
    assert new == old


_MUTATION = st.one_of(
    st.tuples(st.just("Amount.Amount"), st.sampled_from(AMOUNTS)),
    st.tuples(st.just("Balance.Amount.Amount"), st.sampled_from(AMOUNTS)),
    st.tuples(st.just("BookingDateTime"), st.sampled_from(MOMENTS)),
    st.tuples(st.just("ValueDateTime"), st.sampled_from([*MOMENTS, None])),
    st.tuples(st.just("Amount.Currency"), st.sampled_from(["GBP", "EUR", "gbp"])),
    st.tuples(st.just("CreditDebitIndicator"), st.sampled_from(["Credit", "Debit", "Both"])),
    st.tuples(st.just("TransactionId"), st.sampled_from(["dup-1", "dup-2"])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    household=st.sampled_from(HOUSEHOLDS),
    seed=st.integers(0, 3),
    mutations=st.lists(st.tuples(st.integers(0, 10_000), _MUTATION), max_size=4),
)
def test_generated_reports_with_random_faults_get_the_reference_verdict(
    household: str, seed: int, mutations: list[tuple[int, tuple[str, Any]]]
) -> None:
    report = _report(household, seed)
    for index, (field, value) in mutations:
        row = _tx(report, index)
        if field.startswith("Balance.") and row.get("Balance") is None:
            continue
        _set(field, value)(row)
    new, old = _verdicts(msgspec.json.encode(report))
    assert new == old
