"""The payment-provider client against the simulator over loopback: hosted flows, idempotent
creates, paging, typed errors, retries, and webhook signatures."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from tests.fixtures.payments import PaymentsSimulator

from ff_shared.clock import london_today
from ff_shared.domain.payments import MandateStatus, PaymentStatus
from ff_shared.integrations.errors import AuthenticationFailed, RequestRejected
from ff_shared.integrations.payments.client import GoCardlessClient, sign
from ff_shared.integrations.payments.provider import InvalidWebhookSignature
from ff_shared.settings import PaymentsSettings
from ff_standins.payments.simulator import DEFAULT_SECRET


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _settings(sim: PaymentsSimulator, **overrides: object) -> PaymentsSettings:
    values: dict[str, object] = {
        "base_url": sim.url,
        "timeout_seconds": 2.0,
        "retry_deadline_seconds": 5.0,
    }
    values.update(overrides)
    return PaymentsSettings(**values)  # type: ignore[arg-type]


async def _active_mandate(client: GoCardlessClient, sim: PaymentsSimulator) -> str:
    flow = await client.start_mandate_setup(
        metadata={"application_id": str(uuid.uuid4())},
        redirect_uri=None,
        idempotency_key=f"setup-{uuid.uuid4()}",
    )
    assert await sim.complete(flow.authorisation_url) == 200
    state = await client.request_state(flow.request_id)
    assert state.status == "fulfilled"
    assert state.mandate_id is not None
    await sim.advance(state.mandate_id, to="active")
    return state.mandate_id


async def test_a_mandate_is_set_up_through_the_hosted_page(
    http: aiohttp.ClientSession, payments_sim: PaymentsSimulator
) -> None:
    client = GoCardlessClient(http, _settings(payments_sim))
    application_id = str(uuid.uuid4())
    flow = await client.start_mandate_setup(
        metadata={"application_id": application_id},
        redirect_uri=None,
        idempotency_key=f"setup-{application_id}",
    )
    assert flow.authorisation_url.startswith(payments_sim.url)
    assert (await client.request_state(flow.request_id)).mandate_id is None
    await payments_sim.complete(flow.authorisation_url)
    mandate_id = (await client.request_state(flow.request_id)).mandate_id
    assert mandate_id is not None
    mandate = await client.mandate(mandate_id)
    assert mandate.status is MandateStatus.PENDING_SUBMISSION
    assert mandate.application_id == application_id
    await payments_sim.advance(mandate_id, to="active")
    assert (await client.mandate(mandate_id)).status is MandateStatus.ACTIVE


async def test_a_repeated_create_answers_the_payment_first_created(
    http: aiohttp.ClientSession, payments_sim: PaymentsSimulator
) -> None:
    client = GoCardlessClient(http, _settings(payments_sim))
    mandate_id = await _active_mandate(client, payments_sim)
    charge = (await client.mandate(mandate_id)).next_possible_charge_date
    assert charge is not None
    key = f"collection-{uuid.uuid4()}"
    kwargs = {
        "mandate_id": mandate_id,
        "amount_pence": 15_069,
        "charge_date": charge,
        "reference": "FF-TEST",
        "metadata": {"loan_id": "L1"},
        "idempotency_key": key,
    }
    first = await client.create_collection(**kwargs)  # type: ignore[arg-type]
    again = await client.create_collection(**kwargs)  # type: ignore[arg-type]
    assert again.id == first.id
    assert first.status is PaymentStatus.PENDING_SUBMISSION
    listed = await client.list_payments(mandate_id, limit=1)
    assert [p.id for p in listed] == [first.id]
    requests = await payments_sim.requests()
    creates = [r for r in requests if r["method"] == "POST" and r["path"] == "/payments"]
    assert [r["status"] for r in creates[-2:]] == [201, 409]


async def test_a_charge_date_inside_the_bacs_lead_time_is_refused(
    http: aiohttp.ClientSession, payments_sim: PaymentsSimulator
) -> None:
    client = GoCardlessClient(http, _settings(payments_sim))
    mandate_id = await _active_mandate(client, payments_sim)
    with pytest.raises(RequestRejected) as refused:
        await client.create_collection(
            mandate_id=mandate_id,
            amount_pence=100,
            charge_date=london_today(),
            reference="FF-TEST",
            metadata={},
            idempotency_key=f"too-soon-{uuid.uuid4()}",
        )
    assert refused.value.status == 422
    assert refused.value.retryable is False


async def test_paging_follows_the_after_cursor(
    http: aiohttp.ClientSession, payments_sim: PaymentsSimulator
) -> None:
    client = GoCardlessClient(http, _settings(payments_sim))
    mandate_id = await _active_mandate(client, payments_sim)
    charge = (await client.mandate(mandate_id)).next_possible_charge_date
    assert charge is not None
    created = [
        (
            await client.create_collection(
                mandate_id=mandate_id,
                amount_pence=100 + n,
                charge_date=charge,
                reference="FF-TEST",
                metadata={},
                idempotency_key=f"page-{uuid.uuid4()}",
            )
        ).id
        for n in range(5)
    ]
    assert [p.id for p in await client.list_payments(mandate_id, limit=2)] == created


async def test_a_5xx_is_retried_and_a_wrong_token_is_permanent(
    http: aiohttp.ClientSession, payments_sim: PaymentsSimulator
) -> None:
    client = GoCardlessClient(http, _settings(payments_sim))
    mandate_id = await _active_mandate(client, payments_sim)
    await payments_sim.fault("status", status=503, times=2, path_contains="/mandates/")
    try:
        assert (await client.mandate(mandate_id)).id == mandate_id
    finally:
        await payments_sim.clear_faults()
    wrong = GoCardlessClient(http, _settings(payments_sim, access_token="not-the-token"))
    with pytest.raises(AuthenticationFailed):
        await wrong.mandate(mandate_id)


def test_only_a_body_signed_with_the_endpoint_secret_is_accepted(
    payments_sim: PaymentsSimulator,
) -> None:
    body = (
        b'{"events":[{"id":"EV1","created_at":"2026-12-03T10:00:00Z","resource_type":"payments",'
        b'"action":"confirmed","links":{"payment":"PM1"},"details":{"cause":"payment_confirmed"}}]}'
    )
    client = GoCardlessClient(None, _settings(payments_sim))  # type: ignore[arg-type]
    events = client.parse_webhook(body, sign(body, DEFAULT_SECRET))
    assert [(e.id, e.resource_type, e.action, e.resource_id) for e in events] == [
        ("EV1", "payments", "confirmed", "PM1")
    ]
    for signature in (None, "", sign(body, "another-secret"), sign(body + b" ", DEFAULT_SECRET)):
        with pytest.raises(InvalidWebhookSignature):
            client.parse_webhook(body, signature)
