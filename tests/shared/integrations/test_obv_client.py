"""The Open Banking Vision client against the OBV simulator over loopback."""

from __future__ import annotations

import itertools
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import msgspec
import pytest
from tests.fixtures.obv import ObvSimulator

from ff_shared.integrations.errors import (
    AuthenticationFailed,
    MalformedResponse,
    ResourceNotFound,
)
from ff_shared.integrations.obv.client import ObvClient, ReportNotReady
from ff_shared.integrations.obv.mapping import report_from_wire
from ff_shared.settings import ObvSettings


def _application() -> str:
    return str(uuid.uuid4())


async def _authorised(obv: ObvClient, obv_sim: ObvSimulator, household: str) -> str:
    consent = await obv.start_consent(_application(), idempotency_key=uuid.uuid4().hex)
    response = await obv_sim.follow(consent.authorisation_url, household=household)
    assert response.status == 302
    return consent.reference


async def test_starting_a_consent_gives_a_reference_and_an_authorisation_url(
    obv: ObvClient, obv_sim: ObvSimulator, obv_settings: ObvSettings
) -> None:
    application = _application()
    key = f"c-{application[:30]}"
    consent = await obv.start_consent(application, idempotency_key=key)
    assert consent.reference.startswith("OBV-")
    assert consent.status == "AwaitingAuthorisation"
    assert consent.report_status == "NotAvailable"
    assert consent.authorisation_url == f"{obv_sim.url}/journey/{consent.reference}"
    assert consent.redirect_uri == obv_settings.callback_url
    assert consent.expiration_date_time > consent.creation_date_time
    again = await obv.start_consent(application, idempotency_key=key)
    assert again.reference == consent.reference
    assert (await obv.consent(consent.reference)).status == "AwaitingAuthorisation"


async def test_following_the_authorisation_url_completes_the_consent_and_redirects_back(
    obv: ObvClient, obv_sim: ObvSimulator, obv_settings: ObvSettings
) -> None:
    consent = await obv.start_consent(_application(), idempotency_key=uuid.uuid4().hex)
    response = await obv_sim.follow(consent.authorisation_url, household="salaried")
    assert response.status == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == obv_settings.callback_url
    assert parse_qs(location.query) == {
        "reference": [consent.reference],
        "status": ["Authorised"],
    }
    status = await obv.consent(consent.reference)
    assert (status.status, status.report_status) == ("Authorised", "Ready")


async def test_a_customer_who_refuses_at_the_bank_leaves_a_rejected_consent(
    obv: ObvClient, obv_sim: ObvSimulator
) -> None:
    consent = await obv.start_consent(_application(), idempotency_key=uuid.uuid4().hex)
    await obv_sim.follow(consent.authorisation_url, outcome="reject")
    assert (await obv.consent(consent.reference)).status == "Rejected"
    with pytest.raises(ReportNotReady):
        await obv.fetch_report(consent.reference)


async def test_a_report_holds_a_year_of_ais_shaped_data_the_same_bytes_each_fetch(
    obv: ObvClient, obv_sim: ObvSimulator
) -> None:
    reference = await _authorised(obv, obv_sim, "salaried")
    fetched = await obv.fetch_report(reference)
    again = await obv.fetch_report(reference)
    assert again.raw == fetched.raw
    data = fetched.report.data
    assert data.reference == reference
    assert {a.account_sub_type for a in data.account} == {"CurrentAccount", "Savings"}
    assert all(a.account[0].scheme_name == "UK.OBIE.SortCodeAccountNumber" for a in data.account)
    assert {b.type for b in data.balance} == {"InterimBooked", "ClosingAvailable"}
    times = [t.booking_date_time for t in data.transaction]
    assert max(times) - min(times) >= timedelta(days=350)
    assert all(t.tzinfo is not None for t in times)
    assert {t.utcoffset() for t in times} == {timedelta(0), timedelta(hours=1)}, "GMT and BST"
    raw = msgspec.json.decode(fetched.raw)
    amounts = [t["Amount"]["Amount"] for t in raw["Data"]["Transaction"]]
    assert all(isinstance(a, str) and len(a.split(".")[1]) == 2 for a in amounts)
    assert {t["CreditDebitIndicator"] for t in raw["Data"]["Transaction"]} == {"Credit", "Debit"}


async def test_running_balances_add_up_and_end_at_the_closing_balance(
    obv: ObvClient, obv_sim: ObvSimulator
) -> None:
    fetched = await obv.fetch_report(await _authorised(obv, obv_sim, "returned_dd"))
    report = report_from_wire(fetched.report)
    by_account = defaultdict(list)
    for t in report.transactions:
        by_account[t.account_id].append(t)
    for account, transactions in by_account.items():
        for before, after in itertools.pairwise(transactions):
            assert before.running_balance_pence is not None
            assert after.running_balance_pence == before.running_balance_pence + after.amount_pence
        closing = next(
            b for b in report.balances if b.account_id == account and b.type == "ClosingAvailable"
        )
        assert closing.amount_pence == transactions[-1].running_balance_pence
    assert any(
        b.credit_line_pence == 50_000 for b in report.balances if b.type == "ClosingAvailable"
    )


@pytest.mark.parametrize(
    "household", ["salaried", "benefits", "gig", "gambling_heavy", "returned_dd"]
)
async def test_each_household_reads_as_its_kind_in_the_providers_summary(
    obv: ObvClient, obv_sim: ObvSimulator, household: str
) -> None:
    fetched = await obv.fetch_report(await _authorised(obv, obv_sim, household))
    report = report_from_wire(fetched.report, raw=fetched.raw)
    summary = report.summary
    categories = {s.category for s in summary.income_streams}
    income_in = sum(
        t.amount_pence
        for t in report.transactions
        if t.amount_pence > 0
        and t.proprietary_code in ("BGC", "FPI")
        and "WITHDRAWAL" not in (t.description or "")
        and not (t.description or "").startswith("FROM ")
    )
    assert abs(summary.monthly_income_pence * 12 - income_in) <= 12, "income is the credits / 12"
    assert summary.months_analysed == 12
    assert summary.monthly_essential_spend_pence > 0
    if household == "salaried":
        assert categories == {"salary"}
        assert summary.income_streams[0].frequency == "monthly"
        assert summary.income_streams[0].occurrences == 12
        assert summary.gambling_transactions == 0
    if household == "benefits":
        assert categories == {"benefits"}
        assert {s.frequency for s in summary.income_streams} == {"monthly", "four_weekly"}
    if household == "gig":
        assert categories == {"self_employed"}
        assert {s.frequency for s in summary.income_streams} == {"irregular"}
        assert "irregular_income" in summary.flags
    if household == "gambling_heavy":
        bets = [t for t in report.transactions if t.merchant_category_code == "7995"]
        assert summary.gambling_transactions == len(bets) > 100
        assert summary.gambling_total_pence == -sum(t.amount_pence for t in bets)
        assert summary.gambling_share_of_income_bps >= 500
        assert "gambling" in summary.flags
    else:
        assert summary.gambling_transactions == 0
    if household == "returned_dd":
        returns = [t for t in report.transactions if t.proprietary_code == "DDR"]
        assert summary.returned_payments == len(returns) >= 3
        assert summary.returned_payments_total_pence == sum(t.amount_pence for t in returns)
        assert "returned_payments" in summary.flags
    else:
        assert summary.returned_payments == 0


async def test_a_report_still_being_analysed_is_not_ready_yet(
    obv: ObvClient, obv_sim: ObvSimulator
) -> None:
    await obv_sim.configure(report_delay_seconds=60)
    try:
        reference = await _authorised(obv, obv_sim, "benefits")
        assert (await obv.consent(reference)).report_status == "Pending"
        with pytest.raises(ReportNotReady) as raised:
            await obv.fetch_report(reference)
    finally:
        await obv_sim.configure(report_delay_seconds=0)
    assert raised.value.retryable


async def test_an_unknown_reference_is_not_found(obv: ObvClient) -> None:
    with pytest.raises(ResourceNotFound) as raised:
        await obv.fetch_report("OBV-NOSUCHREPORT")
    assert not raised.value.retryable


async def test_a_wrong_api_key_is_refused(obv_settings: ObvSettings) -> None:
    settings = msgspec.structs.replace(obv_settings, api_key="wrong")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(AuthenticationFailed):
            await ObvClient(session, settings).consent("OBV-ANY")


async def test_5xx_and_429_are_ridden_out_within_the_deadline(
    obv: ObvClient, obv_sim: ObvSimulator
) -> None:
    reference = await _authorised(obv, obv_sim, "gig")
    before = await obv_sim.last_seq()
    await obv_sim.fault("status", status=503, times=2, path_contains=f"/v1/reports/{reference}")
    await obv_sim.fault("rate_limit", retry_after="1", path_contains=f"/v1/reports/{reference}")
    started = time.monotonic()
    fetched = await obv.fetch_report(reference)
    assert fetched.report.data.reference == reference
    served = [r for r in await obv_sim.requests(before) if reference in r["path"]]
    assert [r["status"] for r in served] == [503, 503, 429, 200]
    assert served[3]["started"] - served[2]["finished"] >= 0.95
    assert time.monotonic() - started >= 1.0


async def test_a_malformed_report_is_rejected_with_the_raw_body_for_quarantine(
    obv: ObvClient, obv_sim: ObvSimulator
) -> None:
    reference = await _authorised(obv, obv_sim, "salaried")
    await obv_sim.fault("malformed", body="wrong_shape", path_contains=reference)
    with pytest.raises(MalformedResponse) as raised:
        await obv.fetch_report(reference)
    assert raised.value.raw.startswith(b'{"Data":{"Reference":42')
    assert raised.value.problems
    fetched = await obv.fetch_report(reference)
    assert fetched.report.data.reference == reference


async def test_a_report_for_another_reference_is_refused(
    obv: ObvClient, obv_sim: ObvSimulator
) -> None:
    first = await _authorised(obv, obv_sim, "salaried")
    second = await _authorised(obv, obv_sim, "benefits")
    await obv_sim.put_report(second, (await obv.fetch_report(first)).raw)
    with pytest.raises(MalformedResponse):
        await obv.fetch_report(second)


async def test_a_consent_whose_answer_was_lost_is_asked_again_without_a_second_consent(
    obv: ObvClient, obv_sim: ObvSimulator
) -> None:
    application = _application()
    await obv_sim.fault("drop", method="POST", path_contains="/v1/consents", after_processing=True)
    consent = await obv.start_consent(application, idempotency_key=f"k-{application}")
    mine = [c for c in await obv_sim.consents() if c["application_reference"] == application]
    assert [c["reference"] for c in mine] == [consent.reference]
