"""The customer's loans over the API: loan book reads; a payment request never moves a balance."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import aioodbc
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.anchor_lms import AnchorSimulator
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.loanbook import customer_with_loans

from ff_api.loans import service
from ff_shared.domain.loans import TransactionType
from ff_shared.settings import LoanBookSettings
from ff_shared.stores.loanbook import queries
from ff_shared.stores.loanbook.connection import (
    LoanBookUnavailable,
    close_pool,
    create_pool,
    with_database,
)

Client = AsyncTestClient[Litestar]


async def _live_loan(client: Client, headers: dict[str, str]) -> dict[str, object]:
    loans = (await client.get("/v1/loans", headers=headers)).json()["items"]
    return next(loan for loan in loans if loan["status"] == "live")


def _key() -> str:
    return f"pay-{uuid.uuid4().hex}"


async def _payments_in_loan_book(conn: aioodbc.Connection, loan_id: str) -> list[int]:
    return [
        t.amount_pence
        for t in await queries.all_transactions(conn, loan_id)
        if t.type_id == TransactionType.PAYMENT
    ]


async def test_the_customer_sees_their_loans_in_pence(
    client: Client, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> None:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    response = await client.get("/v1/loans", headers=headers)
    assert response.status_code == 200, response.text
    loans = response.json()["items"]
    assert sorted(loan["status"] for loan in loans) == ["live", "settled"]
    live = next(loan for loan in loans if loan["status"] == "live")
    assert live["advance_pence"] == 100_000
    assert live["balance_pence"] == live["total_repayable_pence"] - 3 * live["instalment_pence"]
    assert live["next_payment_pence"] == live["instalment_pence"]

    one = await client.get(f"/v1/loans/{live['id']}", headers=headers)
    assert one.status_code == 200
    assert one.json() == live


async def test_a_customer_without_loans_has_an_empty_list(
    client: Client, customer_token: TokenFactory
) -> None:
    response = await client.get("/v1/loans", headers=bearer(await customer_token()))
    assert response.status_code == 200
    assert response.json() == {"items": []}


async def test_another_customers_loan_does_not_exist_for_the_caller(
    client: Client, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> None:
    owner, _ = await customer_with_loans(customer_token, loanbook_conn)
    intruder = bearer(await customer_token())
    loan_id = (await _live_loan(client, owner))["id"]
    for path in ("", "/schedule", "/transactions"):
        response = await client.get(f"/v1/loans/{loan_id}{path}", headers=intruder)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    paid = await client.post(
        f"/v1/loans/{loan_id}/payments",
        json={"amount_pence": 100},
        headers={**intruder, "Idempotency-Key": _key()},
    )
    assert paid.status_code == 404
    assert (
        await _payments_in_loan_book(loanbook_conn, str(loan_id))
        == [(await _live_loan(client, owner))["instalment_pence"]] * 3
    )


async def test_loans_need_a_customer_token(client: Client) -> None:
    response = await client.get("/v1/loans")
    assert response.status_code == 401


async def test_the_schedule_shows_each_instalment_and_what_was_paid(
    client: Client, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> None:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    live = await _live_loan(client, headers)
    response = await client.get(f"/v1/loans/{live['id']}/schedule", headers=headers)
    assert response.status_code == 200
    body = response.json()
    instalments = body["instalments"]
    assert body["loan_id"] == live["id"]
    assert len(instalments) == 12
    assert [i["status"] for i in instalments[:4]] == ["paid", "paid", "paid", "due"]
    assert sum(i["amount_pence"] - i["paid_pence"] for i in instalments) == live["balance_pence"]


async def test_transactions_are_paged_newest_first(
    client: Client, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> None:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    live = await _live_loan(client, headers)
    url = f"/v1/loans/{live['id']}/transactions"
    first = (await client.get(url, params={"limit": 2}, headers=headers)).json()
    assert (first["total"], first["offset"], first["next_offset"]) == (5, 0, 2)
    assert [t["type"] for t in first["items"]] == ["payment", "payment"]
    ids = [t["id"] for t in first["items"]]
    offset = first["next_offset"]
    while offset is not None:
        page = (
            await client.get(url, params={"limit": 2, "offset": offset}, headers=headers)
        ).json()
        ids.extend(t["id"] for t in page["items"])
        offset = page["next_offset"]
    assert len(ids) == len(set(ids)) == 5
    dates = [t["date"] for t in (await client.get(url, headers=headers)).json()["items"]]
    assert dates == sorted(dates, reverse=True)


async def test_a_bad_page_size_is_a_validation_problem(
    client: Client, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> None:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    live = await _live_loan(client, headers)
    response = await client.get(
        f"/v1/loans/{live['id']}/transactions", params={"limit": 1000}, headers=headers
    )
    assert response.status_code == 400 or response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_payment_needs_an_idempotency_key(
    client: Client, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> None:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    live = await _live_loan(client, headers)
    url = f"/v1/loans/{live['id']}/payments"
    missing = await client.post(url, json={"amount_pence": 1_000}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["path"] == "header.Idempotency-Key"
    bad = await client.post(
        url, json={"amount_pence": 1_000}, headers={**headers, "Idempotency-Key": "short"}
    )
    assert bad.status_code == 422


async def test_a_payment_above_the_balance_is_refused_before_the_lms(
    client: Client,
    customer_token: TokenFactory,
    loanbook_conn: aioodbc.Connection,
    anchor_sim: AnchorSimulator,
) -> None:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    live = await _live_loan(client, headers)
    seq = await anchor_sim.last_seq()
    key = _key()
    response = await client.post(
        f"/v1/loans/{live['id']}/payments",
        json={"amount_pence": int(str(live["balance_pence"])) + 1},
        headers={**headers, "Idempotency-Key": key},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "payment_exceeds_balance"
    assert body["errors"][0]["path"] == "amount_pence"
    assert await anchor_sim.requests(after=seq) == []
    # The refused request left the key free for a corrected one.
    fixed = await client.post(
        f"/v1/loans/{live['id']}/payments",
        json={"amount_pence": 100},
        headers={**headers, "Idempotency-Key": key},
    )
    assert fixed.status_code == 201
    # Starting a payment asks the provider for a hosted page; the loan book is not touched.
    assert fixed.json()["payment"]["state"] == "pending"
    assert await anchor_sim.requests(after=seq) == []
    assert (
        await _payments_in_loan_book(loanbook_conn, str(live["id"]))
        == [live["instalment_pence"]] * 3
    )


async def test_a_payment_body_with_wrong_fields_is_a_validation_problem(
    client: Client, customer_token: TokenFactory, loanbook_conn: aioodbc.Connection
) -> None:
    headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    live = await _live_loan(client, headers)
    url = f"/v1/loans/{live['id']}/payments"
    keyed = {**headers, "Idempotency-Key": _key()}
    wrong: list[dict[str, object]] = [
        {"amount_pence": 0},
        {"amount_pence": -5},
        {"amount_pence": "ten"},
        {"amount_pence": 10.5},
        {"amount_pence": 5, "x": 1},
        {},
    ]
    for body in wrong:
        response = await client.post(url, json=body, headers=keyed)
        assert response.status_code in (400, 422), body
        assert response.headers["content-type"].startswith("application/problem+json")
    not_json = await client.post(
        url, content=b"{", headers={**keyed, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert (
        await _payments_in_loan_book(loanbook_conn, str(live["id"]))
        == [live["instalment_pence"]] * 3
    )


async def test_a_loan_book_that_does_not_answer_is_a_503_not_a_500(
    loanbook_connection_string: str,
) -> None:
    gone = with_database(loanbook_connection_string, "ff_no_such_loanbook_db")
    pool = await create_pool(LoanBookSettings(connection_string=gone, min_pool_size=0))
    try:
        services: Any = SimpleNamespace(loanbook=pool)
        with pytest.raises(LoanBookUnavailable) as caught:
            await service.customer_loans(services, "sub-x")
        assert caught.value.status == 503
    finally:
        await close_pool(pool)
