import hashlib
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from ff_shared.domain.obv_archive.payloads import canonical_json, check_payload, payload_digest
from ff_shared.domain.obv_archive.reports import (
    ProviderAccount,
    ProviderBalance,
    ProviderReport,
    ProviderTransaction,
    malformed_reason,
    pence_of,
    schema_reason,
    signed_pence,
    validate_report,
)
from ff_shared.domain.obv_archive.verification import (
    AccountFigures,
    BalanceFacts,
    TransactionFacts,
    account_figures,
    booked_balance_breaks,
    compare_figures,
    compare_transactions,
    running_balance_breaks,
)
from ff_shared.domain.open_banking import (
    AccountBalance,
    BankAccount,
    BankTransaction,
    OpenBankingReport,
    OpenBankingSummary,
)

RECEIVED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PRODUCED = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    raw = b'{ "b": 1,\n  "a": [ {"z": "\xc2\xa3", "y": null} ] }'
    assert canonical_json(raw) == '{"a":[{"y":null,"z":"£"}],"b":1}'.encode()


def test_reordered_bodies_have_one_canonical_form_and_hash() -> None:
    first = b'{"Data": {"Reference": "OBV-1", "Amount": "10.00"}, "Links": {}}'
    second = b'{"Links":{},"Data":{"Amount":"10.00","Reference":"OBV-1"}}'
    assert payload_digest(first) == payload_digest(second)
    canonical, digest = payload_digest(first)
    assert digest == hashlib.sha256(canonical).hexdigest()


def test_a_changed_value_changes_the_hash() -> None:
    _, before = payload_digest(b'{"Amount": "10.00"}')
    _, after = payload_digest(b'{"Amount": "10.01"}')
    assert before != after


def test_canonical_json_refuses_what_is_not_json() -> None:
    with pytest.raises(msgspec.DecodeError):
        canonical_json(b'{"Data": {"Reference": "OBV-1"')


def test_check_payload_accepts_an_intact_payload() -> None:
    canonical, digest = payload_digest(b'{"b": 2, "a": 1}')
    assert check_payload(canonical, digest) == []


def test_check_payload_reports_a_tampered_payload() -> None:
    canonical, digest = payload_digest(b'{"a": 1}')
    [mismatch] = check_payload(canonical.replace(b"1", b"2"), digest)
    assert mismatch.check == "payload_sha256"
    assert mismatch.expected == digest


def test_check_payload_reports_bytes_that_are_not_canonical_even_if_the_hash_fits() -> None:
    loose = b'{"b": 1, "a": 2}'
    [mismatch] = check_payload(loose, hashlib.sha256(loose).hexdigest())
    assert mismatch.check == "payload_canonical"


def test_schema_reason_keeps_msgspec_path_and_message() -> None:
    class Amount(msgspec.Struct):
        Currency: str

    class Body(msgspec.Struct):
        Amounts: list[Amount]

    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.json.decode(b'{"Amounts": [{"Currency": "GBP"}, {"Currency": 826}]}', type=Body)
    reason = schema_reason(caught.value)
    assert reason.code == "schema"
    assert reason.path == "$.Amounts[1].Currency"
    assert reason.message == "Expected `str`, got `int`"


def test_malformed_reason_is_coded_malformed_json() -> None:
    with pytest.raises(msgspec.DecodeError) as caught:
        canonical_json(b"<html>gateway error</html>")
    reason = malformed_reason(caught.value)
    assert (reason.code, reason.path) == ("malformed_json", "$")


@pytest.mark.parametrize(
    ("amount", "pence"),
    [("12.50", 1250), ("0.1", 10), ("12.50000", 1250), ("7", 700), ("0.00", 0)],
)
def test_pence_of_reads_decimal_strings_exactly(amount: str, pence: int) -> None:
    assert pence_of(amount) == pence


@pytest.mark.parametrize("amount", ["12.345", "-1.00", "1e3", "", "12.", "1,000.00"])
def test_pence_of_refuses_what_is_not_whole_pence(amount: str) -> None:
    with pytest.raises(ValueError, match=r"amount|pence"):
        pence_of(amount)


def test_signed_pence_makes_debits_negative() -> None:
    assert signed_pence("3.20", "Debit") == -320
    assert signed_pence("3.20", "Credit") == 320


def _tx(transaction_id: str, **changes: object) -> ProviderTransaction:
    values: dict[str, object] = {
        "account_id": "acc-1",
        "transaction_id": transaction_id,
        "credit_debit": "Debit",
        "status": "Booked",
        "booked_at": datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
        "amount": "12.50",
        "currency": "GBP",
        "running_balance": "100.00",
        "running_balance_credit_debit": "Credit",
        "running_balance_currency": "GBP",
    }
    values.update(changes)
    return msgspec.convert(values, ProviderTransaction, from_attributes=False)


def _report(**changes: object) -> ProviderReport:
    base = ProviderReport(
        reference="OBV-1",
        application_reference="FF-1",
        produced_at=PRODUCED,
        first_available_at=datetime(2025, 11, 1, tzinfo=UTC),
        last_available_at=PRODUCED,
        accounts=(ProviderAccount(account_id="acc-1", currency="GBP"),),
        balances=(
            ProviderBalance(
                account_id="acc-1",
                type="InterimBooked",
                credit_debit="Credit",
                amount="100.00",
                currency="GBP",
                at=PRODUCED,
            ),
        ),
        transactions=(_tx("t-1"), _tx("t-2")),
    )
    return msgspec.structs.replace(base, **changes)


def _codes(report: ProviderReport, expected_reference: str | None = "OBV-1") -> list[str]:
    reasons = validate_report(report, received_at=RECEIVED, expected_reference=expected_reference)
    return [r.code for r in reasons]


def test_a_sound_report_has_no_reasons() -> None:
    assert _codes(_report()) == []


def test_a_booking_after_the_report_was_produced_is_impossible() -> None:
    late = _tx("t-3", booked_at=PRODUCED + timedelta(hours=2))
    reasons = validate_report(
        _report(transactions=(_tx("t-1"), late)), received_at=RECEIVED, expected_reference="OBV-1"
    )
    assert [(r.code, r.path) for r in reasons] == [("impossible_date", "transactions[1].booked_at")]


def test_a_report_produced_after_it_was_received_is_impossible() -> None:
    assert _codes(_report(produced_at=RECEIVED + timedelta(days=1))) == ["impossible_date"]


def test_a_booking_before_the_first_available_date_is_impossible() -> None:
    early = _tx("t-3", booked_at=datetime(2025, 10, 31, tzinfo=UTC))
    assert _codes(_report(transactions=(early,))) == ["impossible_date"]


def test_a_booking_at_the_epoch_is_impossible() -> None:
    epoch = _tx("t-3", booked_at=datetime(1970, 1, 1, tzinfo=UTC))
    assert _codes(_report(first_available_at=None, transactions=(epoch,))) == ["impossible_date"]


def test_a_time_without_an_offset_is_refused() -> None:
    naive = _tx("t-3", booked_at=datetime(2026, 11, 1, 9, 30))  # noqa: DTZ001
    assert _codes(_report(transactions=(naive,))) == ["impossible_date"]


def test_an_offset_time_is_compared_as_the_same_instant() -> None:
    bst = timezone(timedelta(hours=1))
    just_before = _tx("t-3", booked_at=datetime(2026, 11, 28, 11, 59, tzinfo=bst))
    assert _codes(_report(transactions=(just_before,))) == []


def test_first_available_after_last_available_is_impossible() -> None:
    report = _report(
        first_available_at=datetime(2026, 6, 1, tzinfo=UTC),
        last_available_at=datetime(2026, 5, 1, tzinfo=UTC),
        transactions=(),
    )
    assert _codes(report) == ["impossible_date"]


def test_a_balance_dated_after_the_report_is_impossible() -> None:
    balance = msgspec.structs.replace(_report().balances[0], at=RECEIVED + timedelta(days=3))
    assert _codes(_report(balances=(balance,))) == ["impossible_date"]


def test_a_transaction_in_another_currency_than_its_account_is_refused() -> None:
    euro = _tx("t-3", currency="EUR")
    reasons = validate_report(_report(transactions=(euro,)), received_at=RECEIVED)
    assert [(r.code, r.path) for r in reasons] == [
        ("currency_mismatch", "transactions[0].currency")
    ]


def test_a_balance_in_another_currency_than_its_account_is_refused() -> None:
    balance = msgspec.structs.replace(_report().balances[0], currency="USD")
    assert _codes(_report(balances=(balance,))) == ["currency_mismatch"]


def test_a_running_balance_in_another_currency_is_refused() -> None:
    odd = _tx("t-3", running_balance_currency="EUR")
    assert _codes(_report(transactions=(odd,))) == ["currency_mismatch"]


def test_an_account_currency_that_is_not_iso_4217_is_refused() -> None:
    report = _report(
        accounts=(ProviderAccount(account_id="acc-1", currency="pounds"),),
        balances=(),
        transactions=(),
    )
    assert _codes(report) == ["currency_mismatch"]


def test_a_duplicate_transaction_id_is_reported_once_with_its_count() -> None:
    reasons = validate_report(
        _report(transactions=(_tx("t-1"), _tx("t-2"), _tx("t-1"), _tx("t-1"))),
        received_at=RECEIVED,
    )
    assert [r.code for r in reasons] == ["duplicate_transaction_id"]
    assert "3 times" in reasons[0].message


def test_the_same_transaction_id_in_two_accounts_is_not_a_duplicate() -> None:
    accounts = (
        ProviderAccount(account_id="acc-1", currency="GBP"),
        ProviderAccount(account_id="acc-2", currency="GBP"),
    )
    report = _report(accounts=accounts, transactions=(_tx("t-1"), _tx("t-1", account_id="acc-2")))
    assert _codes(report) == []


def test_a_duplicate_account_id_is_refused() -> None:
    accounts = (ProviderAccount(account_id="acc-1", currency="GBP"),) * 2
    assert _codes(_report(accounts=accounts)) == ["duplicate_account_id"]


def test_a_transaction_of_an_account_not_in_the_report_is_refused() -> None:
    assert _codes(_report(transactions=(_tx("t-9", account_id="acc-9"),))) == ["unknown_account"]


def test_an_amount_that_is_not_whole_pence_is_refused() -> None:
    assert _codes(_report(transactions=(_tx("t-3", amount="1.005"),))) == ["invalid_amount"]


def test_a_report_for_another_reference_is_refused() -> None:
    assert _codes(_report(), expected_reference="OBV-2") == ["reference_mismatch"]


def test_every_problem_is_listed_not_only_the_first() -> None:
    report = _report(
        transactions=(
            _tx("t-1", currency="EUR"),
            _tx("t-1", amount="oops"),
            _tx("t-2", booked_at=PRODUCED + timedelta(days=1)),
        )
    )
    assert sorted(set(_codes(report))) == [
        "currency_mismatch",
        "duplicate_transaction_id",
        "impossible_date",
        "invalid_amount",
    ]


def _summary() -> OpenBankingSummary:
    return OpenBankingSummary(
        period_start=datetime(2025, 11, 1, tzinfo=UTC),
        period_end=PRODUCED,
        months_analysed=12,
        monthly_income_pence=180_000,
        income_streams=(),
        monthly_essential_spend_pence=90_000,
        essential_spend=(),
        monthly_credit_commitments_pence=0,
        monthly_discretionary_spend_pence=20_000,
        gambling_transactions=0,
        gambling_total_pence=0,
        gambling_monthly_average_pence=0,
        gambling_share_of_income_bps=0,
        returned_payments=0,
        returned_payments_total_pence=0,
        last_returned_payment_at=None,
        days_overdrawn=0,
        flags=(),
    )


def _bank_tx(
    account_id: str, transaction_id: str, pence: int, balance: int | None
) -> BankTransaction:
    return BankTransaction(
        account_id=account_id,
        transaction_id=transaction_id,
        reference=None,
        amount_pence=pence,
        currency="GBP",
        status="booked",
        booked_at=datetime(2026, 11, 1, tzinfo=UTC),
        booked_offset_minutes=0,
        value_at=None,
        description=None,
        bank_code=None,
        bank_sub_code=None,
        proprietary_code=None,
        running_balance_pence=balance,
        merchant_name=None,
        merchant_category_code=None,
    )


def _account(account_id: str) -> BankAccount:
    return BankAccount(
        account_id=account_id,
        currency="GBP",
        account_type="Personal",
        account_subtype="CurrentAccount",
        nickname=None,
        scheme_name=None,
        identification=None,
        holder_name=None,
    )


def test_account_figures_count_and_sum_each_account() -> None:
    report = OpenBankingReport(
        reference="OBV-1",
        application_reference="FF-1",
        generated_at=PRODUCED,
        accounts=(_account("acc-1"), _account("acc-2")),
        balances=(
            AccountBalance(
                account_id="acc-1",
                type="InterimBooked",
                amount_pence=-5_000,
                currency="GBP",
                at=PRODUCED,
                credit_line_pence=None,
            ),
        ),
        transactions=(
            _bank_tx("acc-1", "t-1", 200_000, None),
            _bank_tx("acc-1", "t-2", -1_250, None),
            _bank_tx("acc-1", "t-3", -750, None),
        ),
        summary=_summary(),
    )
    figures = account_figures(report)
    assert figures["acc-1"] == AccountFigures(
        transaction_count=3,
        credits_pence=200_000,
        debits_pence=2_000,
        balance_count=1,
        balances_pence=-5_000,
    )
    assert figures["acc-1"].net_pence == 198_000
    assert figures["acc-2"] == AccountFigures(
        transaction_count=0, credits_pence=0, debits_pence=0, balance_count=0, balances_pence=0
    )


def test_compare_figures_names_each_differing_figure_and_missing_account() -> None:
    same = AccountFigures(
        transaction_count=2, credits_pence=100, debits_pence=50, balance_count=1, balances_pence=9
    )
    fewer = msgspec.structs.replace(same, transaction_count=1, debits_pence=0)
    found = compare_figures(
        {"acc-1": same, "acc-2": same}, {"acc-1": fewer}, subject="version 1", check="rows"
    )
    assert [(m.check, m.subject, m.expected, m.found) for m in found] == [
        ("rows.transaction_count", "version 1 account acc-1", "2", "1"),
        ("rows.debits_pence", "version 1 account acc-1", "50", "0"),
        ("rows.account", "version 1 account acc-2", "present", "absent"),
    ]


def _facts(
    transaction_id: str, pence: int, balance: int | None, **changes: object
) -> TransactionFacts:
    values: dict[str, object] = {
        "account_id": "acc-1",
        "transaction_id": transaction_id,
        "status": "booked",
        "booked_at": datetime(2026, 11, 1, tzinfo=UTC),
        "amount_pence": pence,
        "running_balance_pence": balance,
    }
    values.update(changes)
    return msgspec.convert(values, TransactionFacts, from_attributes=False)


def test_compare_transactions_finds_missing_extra_and_altered_rows() -> None:
    expected = [_facts("t-1", -100, 900), _facts("t-2", -200, 700)]
    found = [_facts("t-1", -150, 900), _facts("t-3", -200, 700)]
    mismatches = compare_transactions(expected, found, subject="version 2")
    assert [(m.check, m.subject.rsplit(" ", 1)[-1]) for m in mismatches] == [
        ("transaction.amount_pence", "t-1"),
        ("transaction.present", "t-2"),
        ("transaction.present", "t-3"),
    ]


def test_compare_transactions_lists_at_most_the_limit() -> None:
    expected = [_facts(f"t-{i}", -1, None) for i in range(30)]
    mismatches = compare_transactions(expected, [], subject="v", limit=5)
    assert len(mismatches) == 6
    assert (mismatches[-1].check, mismatches[-1].found) == ("transaction.more", "25")


def _day(n: int) -> datetime:
    return datetime(2026, 11, n, 9, tzinfo=UTC)


def test_running_balances_that_follow_from_the_amounts_have_no_breaks() -> None:
    oldest_first = [
        _facts("t-1", 10_000, 10_000, booked_at=_day(1)),
        _facts("t-2", -2_500, 7_500, booked_at=_day(2)),
        _facts("t-3", -500, 7_000, booked_at=_day(2)),
        _facts("t-4", 1_000, 8_000, booked_at=_day(3)),
    ]
    assert running_balance_breaks(oldest_first, subject="v1") == []
    assert running_balance_breaks(list(reversed(oldest_first)), subject="v1") == []


def test_a_running_balance_that_does_not_follow_is_a_break() -> None:
    listed = [
        _facts("t-1", 10_000, 10_000, booked_at=_day(1)),
        _facts("t-2", -2_500, 7_000, booked_at=_day(2)),
        _facts("t-3", -500, 6_500, booked_at=_day(3)),
    ]
    [found] = running_balance_breaks(listed, subject="v1")
    assert (found.subject, found.expected, found.found) == (
        "v1 account acc-1 transaction t-2",
        "7500",
        "7000",
    )


def test_pending_transactions_do_not_move_the_booked_balance() -> None:
    listed = [
        _facts("t-1", 10_000, 10_000, booked_at=_day(1)),
        _facts("t-2", -9_999, 1, booked_at=_day(2), status="pending"),
        _facts("t-3", -500, 9_500, booked_at=_day(3)),
    ]
    assert running_balance_breaks(listed, subject="v1") == []


def _balance(pence: int, kind: str = "InterimBooked") -> BalanceFacts:
    return BalanceFacts(account_id="acc-1", type=kind, amount_pence=pence, at=_day(4))


def test_a_booked_balance_equal_to_the_last_running_balance_passes() -> None:
    listed = [
        _facts("t-1", 10_000, 10_000, booked_at=_day(1)),
        _facts("t-2", -2_500, 7_500, booked_at=_day(2)),
    ]
    balances = [_balance(7_500), _balance(7_500, "ClosingBooked"), _balance(1, "ClosingAvailable")]
    assert booked_balance_breaks(balances, listed, subject="v1") == []


def test_a_booked_balance_that_differs_from_the_last_running_balance_is_a_break() -> None:
    listed = [
        _facts("t-2", -2_500, 7_500, booked_at=_day(2)),
        _facts("t-1", 10_000, 10_000, booked_at=_day(1)),
    ]
    [found] = booked_balance_breaks([_balance(7_400)], listed, subject="v1")
    assert (found.check, found.expected, found.found) == ("booked_balance", "7500", "7400")
