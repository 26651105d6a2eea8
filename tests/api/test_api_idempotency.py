"""One idempotency behaviour for every route that takes ``Idempotency-Key``: a repeat answers
with the first answer (status, body, headers), marked ``Idempotent-Replayed: true``, without
acting again; the same key for a different request is refused."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aioodbc
import httpx
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient
from tests.fixtures.api import TokenFactory
from tests.fixtures.loanbook import customer_with_loans
from tests.fixtures.staff import ApplicantFactory, StaffFactory, act

from ff_shared.domain.application import STEPS, example_for

Client = AsyncTestClient[Litestar]
Exchange = tuple[httpx.Response, httpx.Response, httpx.Response]
"""The first answer, the repeat's, and the same key with a different request's."""


def routes_taking_the_key(app: Litestar) -> set[str]:
    return {
        str(handler.operation_id)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if isinstance(handler, HTTPRouteHandler)
        and any(
            getattr(field.kwarg_definition, "name", None) == "Idempotency-Key"
            for field in handler.parsed_fn_signature.parameters.values()
        )
    }


async def _submit(
    client: Client, applicant: ApplicantFactory, staff_as: StaffFactory, **_: Any
) -> Exchange:
    who = await applicant()
    answers = {"personal": who.personal, "address": who.address}
    answers |= {"employment": who.employment, "bank": who.bank}
    drafts = []
    for _n in range(2):
        created = await client.post("/v1/applications", headers=who.headers)
        app_id = created.json()["id"]
        for step in STEPS:
            data = copy.deepcopy(answers.get(step) or example_for(step))
            saved = await client.put(
                f"/v1/applications/{app_id}/steps/{step}", json=data, headers=who.headers
            )
            assert saved.status_code == 200, saved.text
        drafts.append(app_id)
    key = {**who.headers, "Idempotency-Key": f"submit-{uuid.uuid4().hex}"}
    first = await client.post(f"/v1/applications/{drafts[0]}/submit", headers=key)
    # A reviewer acts in between: the application moves on, the repeat still gets the first answer.
    moved = await act(client, await staff_as("underwriter"), drafts[0], "assign")
    assert moved.status_code == 200, moved.text
    repeat = await client.post(f"/v1/applications/{drafts[0]}/submit", headers=key)
    other = await client.post(f"/v1/applications/{drafts[1]}/submit", headers=key)
    return first, repeat, other


async def _pay_now(
    client: Client, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection, **_: Any
) -> Exchange:
    headers, _loans = await customer_with_loans(customer_token, loanbook_conn)
    loans = (await client.get("/v1/loans", headers=headers)).json()["items"]
    live = next(loan for loan in loans if loan["status"] == "live")
    key = {**headers, "Idempotency-Key": f"pay-{uuid.uuid4().hex}"}
    url = f"/v1/loans/{live['id']}/payments"
    first = await client.post(url, json={"amount_pence": 1_200}, headers=key)
    repeat = await client.post(url, json={"amount_pence": 1_200}, headers=key)
    other = await client.post(url, json={"amount_pence": 1_300}, headers=key)
    return first, repeat, other


EXCHANGES: dict[str, Callable[..., Awaitable[Exchange]]] = {
    "submit_application": _submit,
    "pay_now": _pay_now,
}


async def test_every_route_that_takes_the_key_replays_its_first_answer(
    client: Client,
    applicant: ApplicantFactory,
    staff_as: StaffFactory,
    customer_token: TokenFactory,
    loanbook_conn: aioodbc.Connection,
) -> None:
    taking = routes_taking_the_key(client.app)
    assert taking == set(EXCHANGES), "a route that takes Idempotency-Key needs its exchange here"
    for operation, exchange in EXCHANGES.items():
        first, repeat, other = await exchange(
            client=client,
            applicant=applicant,
            staff_as=staff_as,
            customer_token=customer_token,
            loanbook_conn=loanbook_conn,
        )
        assert first.is_success, (operation, first.text)
        assert "Idempotent-Replayed" not in first.headers
        assert repeat.headers.get("Idempotent-Replayed") == "true", operation
        assert (repeat.status_code, repeat.json()) == (first.status_code, first.json()), operation
        assert repeat.headers.get("ETag") == first.headers.get("ETag"), operation
        assert other.status_code == 409, (operation, other.text)
        assert other.json()["code"] == "idempotency_key_reused"
