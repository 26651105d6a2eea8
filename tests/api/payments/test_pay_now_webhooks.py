"""Pay-now through the provider's hosted page, with the provider's webhooks delivered over a
real socket to the API and processed by the core worker: the balance moves only on a signed
confirmation, once, whatever the webhooks' order, lateness or repetition."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import aioodbc
import asyncpg
import msgspec
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from tests.fixtures.api import TokenFactory
from tests.fixtures.loanbook import customer_with_loans
from tests.fixtures.payments import PaymentsSimulator, RunWorker

from ff_shared.clock import now_utc
from ff_shared.domain.loans import TransactionType
from ff_shared.integrations.payments.client import sign
from ff_shared.integrations.payments.provider import ProviderEvent
from ff_shared.settings import Settings
from ff_shared.stores.loanbook import queries
from ff_shared.stores.postgres import payment_events
from ff_standins.payments.simulator import DEFAULT_SECRET
from ff_workers.core.repayments import reprocess_stuck_events


@pytest.fixture
async def customer_api(
    served_payments_api: str, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> AsyncIterator[tuple[aiohttp.ClientSession, dict[str, Any]]]:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    async with aiohttp.ClientSession(base_url=served_payments_api, headers=headers) as api:
        async with api.get("/v1/loans") as listed:
            live = next(x for x in (await listed.json())["items"] if x["status"] == "live")
        yield api, live


async def _loan(api: aiohttp.ClientSession, loan_id: str) -> dict[str, Any]:
    async with api.get(f"/v1/loans/{loan_id}") as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def _payments(api: aiohttp.ClientSession, loan_id: str) -> list[dict[str, Any]]:
    async with api.get(f"/v1/loans/{loan_id}/payments") as response:
        assert response.status == 200
        items: list[dict[str, Any]] = (await response.json())["items"]
        return items


async def _booked(conn: aioodbc.Connection, loan_id: str, amount: int) -> int:
    return sum(
        1
        for t in await queries.all_transactions(conn, loan_id)
        if t.type_id == TransactionType.PAYMENT and t.amount_pence == amount
    )


async def _pay_now(
    api: aiohttp.ClientSession, sim: PaymentsSimulator, loan_id: str, amount: int
) -> str:
    """Start a pay-now and complete its hosted page; the provider's payment id."""
    async with api.post(
        f"/v1/loans/{loan_id}/payments",
        json={"amount_pence": amount},
        headers={"Idempotency-Key": f"pay-{uuid.uuid4().hex}"},
    ) as response:
        assert response.status == 201, await response.text()
        started = await response.json()
    assert started["payment"]["state"] == "pending"
    assert await sim.complete(started["authorisation_url"]) == 200
    state = await sim.state()
    return str(
        next(
            p["id"]
            for p in reversed(state["payments"])
            if p["metadata"].get("loan_id") == loan_id and p["amount"] == amount
        )
    )


async def _events_for(sim: PaymentsSimulator, payment_id: str) -> list[dict[str, Any]]:
    return [e for e in (await sim.state())["events"] if e["links"].get("payment") == payment_id]


async def test_a_balance_moves_only_on_a_signed_confirmation_and_only_once(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    loanbook_conn: aioodbc.Connection,
    served_payments_api: str,
) -> None:
    api, live = customer_api
    loan_id, balance = str(live["id"]), int(live["balance_pence"])

    key = {"Idempotency-Key": f"pay-{uuid.uuid4().hex}"}
    url = f"/v1/loans/{loan_id}/payments"
    async with api.post(url, json={"amount_pence": 2_500}, headers=key) as first:
        assert first.status == 201
        started = await first.json()
    async with api.post(url, json={"amount_pence": 2_500}, headers=key) as again:
        assert again.status == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert (await again.json())["payment"]["id"] == started["payment"]["id"]
    async with api.post(url, json={"amount_pence": 2_600}, headers=key) as reused:
        assert reused.status == 409
        assert (await reused.json())["code"] == "idempotency_key_reused"

    await payments_sim.complete(started["authorisation_url"])
    await run_payments_worker()
    assert (await _loan(api, loan_id))["balance_pence"] == balance
    [payment] = await _payments(api, loan_id)
    assert (payment["state"], payment["recorded_in_loan_book"]) == ("pending", False)

    provider_id = next(
        p["id"]
        for p in (await payments_sim.state())["payments"]
        if p["metadata"].get("loan_id") == loan_id
    )
    # A forged confirmation: the right shape, the wrong signature.
    forged = json.dumps(
        {
            "events": [
                {
                    "id": f"EV-FORGED-{uuid.uuid4().hex}",
                    "created_at": "2026-12-03T10:00:00Z",
                    "resource_type": "payments",
                    "action": "confirmed",
                    "links": {"payment": provider_id},
                    "details": {"origin": "gocardless", "cause": "payment_confirmed"},
                }
            ]
        }
    )
    async with aiohttp.ClientSession() as anyone:
        async with anyone.post(
            f"{served_payments_api}/v1/payments/webhooks",
            data=forged,
            headers={"Content-Type": "application/json", "Webhook-Signature": "0" * 64},
        ) as refused:
            assert refused.status == 498
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert (await refused.json())["code"] == "invalid_signature"
        async with anyone.post(
            f"{served_payments_api}/v1/payments/webhooks", data=forged
        ) as unsigned:
            assert unsigned.status == 498
    await run_payments_worker()
    assert (await _loan(api, loan_id))["balance_pence"] == balance

    await payments_sim.advance(provider_id, to="confirmed")
    await run_payments_worker()
    assert (await _loan(api, loan_id))["balance_pence"] == balance - 2_500
    [payment] = await _payments(api, loan_id)
    assert (payment["state"], payment["recorded_in_loan_book"]) == ("confirmed", True)
    assert await _booked(loanbook_conn, loan_id, 2_500) == 1

    # Every event about the payment delivered again: nothing changes.
    for event in await _events_for(payments_sim, provider_id):
        await payments_sim.resend(event["id"])
    await run_payments_worker()
    await payments_sim.advance(provider_id, to="paid_out")
    await run_payments_worker()
    assert (await _loan(api, loan_id))["balance_pence"] == balance - 2_500
    assert await _booked(loanbook_conn, loan_id, 2_500) == 1
    assert (await _payments(api, loan_id))[0]["state"] == "paid_out"


async def test_out_of_order_late_and_twice_sent_webhooks_leave_the_books_right(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    loanbook_conn: aioodbc.Connection,
) -> None:
    api, live = customer_api
    loan_id, balance = str(live["id"]), int(live["balance_pence"])

    reversed_id = await _pay_now(api, payments_sim, loan_id, 1_100)
    await run_payments_worker()
    await payments_sim.webhook_fault("hold", times=None)
    try:
        await payments_sim.advance(reversed_id, to="paid_out")
    finally:
        await payments_sim.clear_webhook_faults()
    released = await payments_sim.release(order="reversed")
    assert len(released) == 3  # submitted, confirmed, paid_out: paid_out arrives first
    await run_payments_worker()
    assert (await _payments(api, loan_id))[0]["state"] == "paid_out"
    assert await _booked(loanbook_conn, loan_id, 1_100) == 1

    late_id = await _pay_now(api, payments_sim, loan_id, 1_200)
    await run_payments_worker()
    await payments_sim.advance(late_id, to="submitted")
    await payments_sim.webhook_fault("delay", delay_seconds=1.5)
    await payments_sim.webhook_fault("duplicate", times=1)
    await payments_sim.advance(late_id, to="paid_out")
    # The confirmation is late (paid_out, sent twice, arrives first): until the worker
    # applies the events the books do not move.
    assert (await _loan(api, loan_id))["balance_pence"] == balance - 1_100
    await run_payments_worker()
    assert await _booked(loanbook_conn, loan_id, 1_200) == 1
    assert (await _loan(api, loan_id))["balance_pence"] == balance - 1_100 - 1_200
    ours = {e["id"] for pid in (reversed_id, late_id) for e in await _events_for(payments_sim, pid)}
    deliveries = [d for d in await payments_sim.deliveries() if set(d["event_ids"]) & ours]
    assert {d["fault"] for d in deliveries} >= {"delay", "duplicate", "released_reversed"}
    assert {d["status"] for d in deliveries} == {204}


async def test_pay_now_above_the_balance_is_refused_before_the_provider(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
    payments_sim: PaymentsSimulator,
) -> None:
    api, live = customer_api
    seq = await payments_sim.last_seq()
    async with api.post(
        f"/v1/loans/{live['id']}/payments",
        json={"amount_pence": int(live["balance_pence"]) + 1},
        headers={"Idempotency-Key": f"pay-{uuid.uuid4().hex}"},
    ) as response:
        assert response.status == 422
        body = await response.json()
    assert body["code"] == "payment_exceeds_balance"
    assert body["errors"][0]["path"] == "amount_pence"
    assert await payments_sim.requests(after=seq) == []


async def test_pay_now_above_the_largest_balance_is_the_domain_error_not_a_type_error(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
) -> None:
    api, live = customer_api
    async with api.post(
        f"/v1/loans/{live['id']}/payments",
        json={"amount_pence": 10_000_001},
        headers={"Idempotency-Key": f"pay-{uuid.uuid4().hex}"},
    ) as response:
        assert response.status == 422
        body = await response.json()
    assert body["code"] == "payment_exceeds_balance"
    assert [e["path"] for e in body["errors"]] == ["amount_pence"]
    async with api.post(
        f"/v1/loans/{live['id']}/payments",
        json={"amount_pence": "700"},
        headers={"Idempotency-Key": f"pay-{uuid.uuid4().hex}"},
    ) as response:
        assert response.status == 422
        assert (await response.json())["code"] == "validation_failed"


async def test_a_pay_now_the_customer_cancels_on_the_hosted_page_shows_as_cancelled(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
) -> None:
    api, live = customer_api
    async with api.post(
        f"/v1/loans/{live['id']}/payments",
        json={"amount_pence": 700},
        headers={"Idempotency-Key": f"pay-{uuid.uuid4().hex}"},
    ) as response:
        assert response.status == 201
        started = await response.json()
    assert await payments_sim.complete(started["authorisation_url"], outcome="cancel") == 200
    await run_payments_worker()
    [payment] = await _payments(api, str(live["id"]))
    assert (payment["state"], payment["recorded_in_loan_book"]) == ("cancelled", False)
    assert (await _loan(api, str(live["id"])))["balance_pence"] == live["balance_pence"]


async def test_a_signed_webhook_that_is_not_the_event_shape_is_a_validation_problem(
    served_payments_api: str,
) -> None:
    body = b'{"events": "not a list"}'
    async with (
        aiohttp.ClientSession() as anyone,
        anyone.post(
            f"{served_payments_api}/v1/payments/webhooks",
            data=body,
            headers={
                "Content-Type": "application/json",
                "Webhook-Signature": sign(body, DEFAULT_SECRET),
            },
        ) as response,
    ):
        assert response.status == 422
        assert (await response.json())["code"] == "validation_failed"


async def test_two_concurrent_pay_nows_with_one_key_start_one_payment(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
) -> None:
    api, live = customer_api
    headers = {"Idempotency-Key": f"pay-{uuid.uuid4().hex}"}

    async def start() -> dict[str, Any]:
        async with api.post(
            f"/v1/loans/{live['id']}/payments", json={"amount_pence": 900}, headers=headers
        ) as response:
            assert response.status == 201, await response.text()
            body: dict[str, Any] = await response.json()
            return body

    first, second = await asyncio.gather(start(), start())
    assert first["payment"]["id"] == second["payment"]["id"]
    assert first["authorisation_url"] == second["authorisation_url"]
    assert [p["id"] for p in await _payments(api, str(live["id"]))] == [first["payment"]["id"]]


async def test_an_event_stored_whose_processing_job_was_lost_is_picked_up_by_the_sweep(
    customer_api: tuple[aiohttp.ClientSession, dict[str, Any]],
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    payments_settings: Settings,
    loanbook_conn: aioodbc.Connection,
) -> None:
    api, live = customer_api
    loan_id = str(live["id"])
    provider_id = await _pay_now(api, payments_sim, loan_id, 1_300)
    await run_payments_worker()
    # The confirmation is stored, but its job never reaches the queue (a Redis outage).
    await payments_sim.webhook_fault("hold", times=None)
    try:
        await payments_sim.advance(provider_id, to="confirmed")
    finally:
        await payments_sim.clear_webhook_faults()
    held = [e for e in await _events_for(payments_sim, provider_id) if e["action"] == "confirmed"]
    pool = await asyncpg.create_pool(payments_settings.postgres.dsn, min_size=1, max_size=2)
    redis = await create_pool(
        RedisSettings.from_dsn(payments_settings.redis.url),
        default_queue_name=payments_settings.redis.queue_name,
    )
    try:
        async with pool.acquire() as conn:
            stored = await payment_events.store_events(
                conn,
                [
                    msgspec.convert(
                        {**e, "resource_id": provider_id, "cause": None, "description": None},
                        ProviderEvent,
                    )
                    for e in held
                ],
                now_utc() - timedelta(minutes=30),
            )
        assert len(stored) == 1
        assert await _booked(loanbook_conn, loan_id, 1_300) == 0
        swept = await reprocess_stuck_events({"payments_pg": pool, "redis": redis})
        assert swept >= 1
    finally:
        await redis.aclose()
        await pool.close()
    await run_payments_worker()
    assert await _booked(loanbook_conn, loan_id, 1_300) == 1
    await payments_sim.release()
    await run_payments_worker()
    assert await _booked(loanbook_conn, loan_id, 1_300) == 1
