"""Money the bank takes back after the loan book recorded it: a charge-back after the payment
was paid out, or a failure reported after it was confirmed, reverses the payment in Anchor LMS
once, whatever the webhooks' repetition or order; one never recorded is never reversed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import aioodbc
import pytest
from tests.api.payments.test_pay_now_webhooks import (
    _booked,
    _events_for,
    _loan,
    _pay_now,
    _payments,
)
from tests.fixtures.api import TokenFactory
from tests.fixtures.loanbook import customer_with_loans
from tests.fixtures.payments import PaymentsSimulator, RunWorker

from ff_shared.domain.loans import TransactionType
from ff_shared.stores.loanbook import queries


@pytest.fixture
async def customer_api(
    served_payments_api: str, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> AsyncIterator[tuple[aiohttp.ClientSession, dict[str, Any]]]:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    async with aiohttp.ClientSession(base_url=served_payments_api, headers=headers) as api:
        async with api.get("/v1/loans") as listed:
            live = next(x for x in (await listed.json())["items"] if x["status"] == "live")
        yield api, live


async def _reversals(conn: aioodbc.Connection, loan_id: str, provider_id: str) -> int:
    return sum(
        1
        for t in await queries.all_transactions(conn, loan_id)
        if t.type_id == TransactionType.PAYMENT_REVERSAL and t.reference == f"FFPAY-{provider_id}"
    )


async def test_a_charge_back_reverses_the_payment_in_the_loan_book_once(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    loanbook_conn: aioodbc.Connection,
) -> None:
    api, live = customer_api
    loan_id, balance = str(live["id"]), int(live["balance_pence"])
    provider_id = await _pay_now(api, payments_sim, loan_id, 3_000)
    await payments_sim.advance(provider_id, to="paid_out")
    await run_payments_worker()
    assert (await _loan(api, loan_id))["balance_pence"] == balance - 3_000

    await payments_sim.charge_back(provider_id)
    await run_payments_worker()
    assert (await _loan(api, loan_id))["balance_pence"] == balance
    [payment] = await _payments(api, loan_id)
    assert (payment["state"], payment["recorded_in_loan_book"]) == ("charged_back", True)
    assert payment["reversed_in_loan_book"] is True
    newest = (await queries.all_transactions(loanbook_conn, loan_id))[-1]
    assert (newest.type, newest.amount_pence, newest.direction) == ("payment_reversal", 3_000, 1)

    # Every event about it delivered again: still one payment and one reversal.
    for event in await _events_for(payments_sim, provider_id):
        await payments_sim.resend(event["id"])
    await run_payments_worker()
    assert (await _loan(api, loan_id))["balance_pence"] == balance
    assert await _booked(loanbook_conn, loan_id, 3_000) == 1
    assert await _reversals(loanbook_conn, loan_id, provider_id) == 1


async def test_a_charge_back_whose_events_arrive_first_books_and_reverses_nothing(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    loanbook_conn: aioodbc.Connection,
) -> None:
    api, live = customer_api
    loan_id, balance = str(live["id"]), int(live["balance_pence"])
    provider_id = await _pay_now(api, payments_sim, loan_id, 3_100)
    await run_payments_worker()
    await payments_sim.webhook_fault("hold", times=None)
    try:
        await payments_sim.advance(provider_id, to="paid_out")
        await payments_sim.charge_back(provider_id)
    finally:
        await payments_sim.clear_webhook_faults()
    released = await payments_sim.release(order="reversed")
    assert len(released) == 4  # submitted, confirmed, paid_out, charged_back: last first
    await run_payments_worker()
    [payment] = await _payments(api, loan_id)
    assert (payment["state"], payment["recorded_in_loan_book"]) == ("charged_back", False)
    assert payment["reversed_in_loan_book"] is False
    assert (await _loan(api, loan_id))["balance_pence"] == balance
    assert await _booked(loanbook_conn, loan_id, 3_100) == 0
    assert await _reversals(loanbook_conn, loan_id, provider_id) == 0


async def test_a_failure_after_confirmation_reverses_the_recorded_payment(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    loanbook_conn: aioodbc.Connection,
) -> None:
    api, live = customer_api
    loan_id, balance = str(live["id"]), int(live["balance_pence"])
    provider_id = await _pay_now(api, payments_sim, loan_id, 3_200)
    await payments_sim.advance(provider_id, to="confirmed")
    await run_payments_worker()
    assert (await _loan(api, loan_id))["balance_pence"] == balance - 3_200

    await payments_sim.fail(provider_id, cause="insufficient_funds")
    await payments_sim.resend(
        next(
            e["id"] for e in await _events_for(payments_sim, provider_id) if e["action"] == "failed"
        )
    )
    await run_payments_worker()
    [payment] = await _payments(api, loan_id)
    assert (payment["state"], payment["reversed_in_loan_book"]) == ("failed", True)
    assert (await _loan(api, loan_id))["balance_pence"] == balance
    assert await _reversals(loanbook_conn, loan_id, provider_id) == 1
