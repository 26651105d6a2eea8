"""The customer's application journey through the API, against MongoDB and moto's Cognito."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.staff import StaffFactory, open_application

from ff_shared.domain.application import STEPS, example_for

Client = AsyncTestClient[Litestar]


async def _new_application(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/v1/applications", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _fill(
    client: Client, headers: dict[str, str], app_id: str, **overrides: dict[str, Any]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for step in STEPS:
        data = copy.deepcopy(example_for(step))
        data.update(overrides.get(step, {}))
        response = await client.put(
            f"/v1/applications/{app_id}/steps/{step}", json=data, headers=headers
        )
        assert response.status_code == 200, (step, response.text)
        body = response.json()
    return body


@pytest.fixture
async def customer(customer_token: TokenFactory) -> dict[str, str]:
    return bearer(await customer_token())


async def test_a_new_application_is_an_empty_draft(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    assert app["status"] == "draft"
    assert app["version"] == 1
    assert app["reference"].startswith("FF-")
    assert [s["name"] for s in app["steps"]] == list(STEPS)
    assert all(s["status"] == "not_started" for s in app["steps"])
    assert app["next_step"] == STEPS[0]
    assert app["decision"] is None


async def test_whole_journey_ends_under_review_with_the_engine_outcome_for_staff(
    client: Client, customer: dict[str, str], staff_as: StaffFactory
) -> None:
    app = await _new_application(client, customer)
    filled = await _fill(client, customer, app["id"])
    assert filled["next_step"] is None
    assert all(s["status"] == "complete" for s in filled["steps"])
    response = await client.post(f"/v1/applications/{app['id']}/submit", headers=customer)
    assert response.status_code == 200, response.text
    submitted = response.json()
    # The engine approves the example, and a person looks before anything is decided: the
    # customer sees "under review" and no outcome; staff see the engine's.
    assert (submitted["status"], submitted["decision"]) == ("in_review", None)
    again = await client.get(f"/v1/applications/{app['id']}", headers=customer)
    assert again.json()["decision"] is None
    detail = await open_application(client, await staff_as("underwriter"), app["id"])
    decision = detail["decision"]
    assert decision["outcome"] in {"approve", "refer"}
    assert decision["reasons"]
    assert decision["rule_set_version"]


async def test_an_affordable_example_is_approved_with_the_requested_offer(
    client: Client, customer: dict[str, str], staff_as: StaffFactory
) -> None:
    app = await _new_application(client, customer)
    await _fill(
        client,
        customer,
        app["id"],
        loan={"amount_pence": 50_000, "term_months": 12},
        employment={
            "status": "employed_full_time",
            "net_monthly_income_pence": 260_000,
            "other_monthly_income_pence": 0,
        },
    )
    submitted = (await client.post(f"/v1/applications/{app['id']}/submit", headers=customer)).json()
    assert submitted["decision"] is None, "under review until a person decides"
    detail = await open_application(client, await staff_as("underwriter"), app["id"])
    decision = detail["decision"]
    assert decision["outcome"] in {"approve", "refer"}
    assert decision["offer"]["amount_pence"] == 50_000
    assert decision["offer"]["term_months"] == 12
    quote = (
        await client.post("/v1/quotes", json={"amount_pence": 50_000, "term_months": 12})
    ).json()
    assert decision["offer"]["monthly_instalment_pence"] == quote["monthly_instalment_pence"]
    assert decision["offer"]["apr_percent"] == quote["apr_percent"]


async def test_declared_insolvency_is_declined_without_an_offer(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    await _fill(client, customer, app["id"], declarations={"insolvency": "iva"})
    submitted = (await client.post(f"/v1/applications/{app['id']}/submit", headers=customer)).json()
    assert submitted["status"] == "declined"
    assert submitted["decision"]["outcome"] == "decline"
    assert "declared_insolvency" in submitted["decision"]["reasons"]
    assert submitted["decision"]["offer"] is None


async def test_step_errors_name_every_failing_field(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    bad = {**example_for("personal"), "email": "not-an-email", "mobile": "12345", "dependants": -1}
    response = await client.put(
        f"/v1/applications/{app['id']}/steps/personal", json=bad, headers=customer
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "validation_failed"
    paths = {e["path"] for e in body["errors"]}
    assert {"personal.email", "personal.mobile", "personal.dependants"} <= paths
    unchanged = (await client.get(f"/v1/applications/{app['id']}", headers=customer)).json()
    assert unchanged["version"] == 1
    assert unchanged["steps"][1]["status"] == "not_started"


async def test_unknown_fields_are_rejected_on_a_step(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    body = {**example_for("loan"), "admin": True}
    response = await client.put(
        f"/v1/applications/{app['id']}/steps/loan", json=body, headers=customer
    )
    assert response.status_code == 422
    assert any(e["path"] == "loan.admin" for e in response.json()["errors"])


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"{not json", 400, "malformed_body"),
        (b"[1, 2, 3]", 422, "validation_failed"),
        (b'"just a string"', 422, "validation_failed"),
        (
            b'{"amount_pence": "lots", "term_months": 12, "purpose": "car"}',
            422,
            "validation_failed",
        ),
    ],
    ids=["malformed-json", "array", "string", "wrong-type"],
)
async def test_malformed_step_bodies_get_a_4xx_and_change_nothing(
    client: Client, customer: dict[str, str], payload: bytes, status: int, code: str
) -> None:
    app = await _new_application(client, customer)
    response = await client.put(
        f"/v1/applications/{app['id']}/steps/loan",
        content=payload,
        headers={**customer, "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    after = (await client.get(f"/v1/applications/{app['id']}", headers=customer)).json()
    assert after["version"] == 1


async def test_loan_outside_the_product_is_refused_on_save(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    body = {**example_for("loan"), "amount_pence": 20_001}
    response = await client.put(
        f"/v1/applications/{app['id']}/steps/loan", json=body, headers=customer
    )
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["loan.amount_pence"]


async def test_an_unknown_step_is_404(client: Client, customer: dict[str, str]) -> None:
    app = await _new_application(client, customer)
    response = await client.put(
        f"/v1/applications/{app['id']}/steps/hobbies", json={}, headers=customer
    )
    assert response.status_code == 404
    assert "loan" in response.json()["detail"]


async def test_submitting_with_missing_steps_lists_them(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    await client.put(
        f"/v1/applications/{app['id']}/steps/loan", json=example_for("loan"), headers=customer
    )
    response = await client.post(f"/v1/applications/{app['id']}/submit", headers=customer)
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == set(STEPS) - {"loan"}
    still = (await client.get(f"/v1/applications/{app['id']}", headers=customer)).json()
    assert still["status"] == "draft"


async def test_another_customers_application_does_not_exist_for_you(
    client: Client, customer: dict[str, str], customer_token: TokenFactory
) -> None:
    app = await _new_application(client, customer)
    intruder = bearer(await customer_token())
    assert (await client.get(f"/v1/applications/{app['id']}", headers=intruder)).status_code == 404
    put = await client.put(
        f"/v1/applications/{app['id']}/steps/loan", json=example_for("loan"), headers=intruder
    )
    assert put.status_code == 404
    assert (
        await client.post(f"/v1/applications/{app['id']}/submit", headers=intruder)
    ).status_code == 404
    listed = (await client.get("/v1/applications", headers=intruder)).json()
    assert app["id"] not in {a["id"] for a in listed["items"]}
    mine = (await client.get(f"/v1/applications/{app['id']}", headers=customer)).json()
    assert mine["version"] == 1


async def test_double_submit_with_the_same_key_returns_the_same_decision(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    await _fill(client, customer, app["id"])
    headers = {**customer, "Idempotency-Key": f"submit-{app['id']}"}
    first, second = await asyncio.gather(
        client.post(f"/v1/applications/{app['id']}/submit", headers=headers),
        client.post(f"/v1/applications/{app['id']}/submit", headers=headers),
    )
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert first.json() == second.json()
    assert first.json()["version"] == second.json()["version"]
    third = await client.post(f"/v1/applications/{app['id']}/submit", headers=headers)
    assert third.json() == first.json()


async def test_resubmitting_without_the_key_is_a_conflict(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    await _fill(client, customer, app["id"])
    assert (
        await client.post(f"/v1/applications/{app['id']}/submit", headers=customer)
    ).status_code == 200
    again = await client.post(f"/v1/applications/{app['id']}/submit", headers=customer)
    assert again.status_code == 409
    assert again.json()["code"] == "application_locked"


async def test_a_submitted_application_cannot_be_edited(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    await _fill(client, customer, app["id"])
    submitted = (await client.post(f"/v1/applications/{app['id']}/submit", headers=customer)).json()
    response = await client.put(
        f"/v1/applications/{app['id']}/steps/loan",
        json={**example_for("loan"), "amount_pence": 100_000},
        headers=customer,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "application_locked"
    after = (await client.get(f"/v1/applications/{app['id']}", headers=customer)).json()
    assert after["steps"][0]["data"] == submitted["steps"][0]["data"]
    assert after["version"] == submitted["version"]


async def test_a_stale_if_match_is_a_conflict_not_a_lost_update(
    client: Client, customer: dict[str, str], mongo_db: Any
) -> None:
    app = await _new_application(client, customer)
    url = f"/v1/applications/{app['id']}/steps/loan"
    first = await client.put(url, json=example_for("loan"), headers={**customer, "If-Match": '"1"'})
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'
    stale = await client.put(
        url,
        json={**example_for("loan"), "amount_pence": 60_000},
        headers={**customer, "If-Match": '"1"'},
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    stored = await mongo_db.applications.find_one({"_id": app["id"]})
    assert stored["steps"]["loan"]["amount_pence"] == example_for("loan")["amount_pence"]


async def test_concurrent_step_saves_never_lose_a_step(
    client: Client, customer: dict[str, str]
) -> None:
    app = await _new_application(client, customer)
    responses = await asyncio.gather(
        *(
            client.put(
                f"/v1/applications/{app['id']}/steps/{step}",
                json=example_for(step),
                headers=customer,
            )
            for step in STEPS
        )
    )
    assert all(r.status_code == 200 for r in responses)
    final = (await client.get(f"/v1/applications/{app['id']}", headers=customer)).json()
    assert final["version"] == 1 + len(STEPS)
    assert final["next_step"] is None


async def test_listing_is_paginated_newest_first(
    client: Client, customer_token: TokenFactory
) -> None:
    headers = bearer(await customer_token())
    created = [(await _new_application(client, headers))["id"] for _ in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/applications", params=params, headers=headers)).json()
        seen.extend(a["id"] for a in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))


async def test_a_forged_cursor_is_a_422(client: Client, customer: dict[str, str]) -> None:
    response = await client.get("/v1/applications", params={"cursor": "!!!"}, headers=customer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "cursor"


async def test_an_oversized_body_is_413(client: Client, customer: dict[str, str]) -> None:
    app = await _new_application(client, customer)
    huge = {**example_for("loan"), "purpose": "x" * 200_000}
    response = await client.put(
        f"/v1/applications/{app['id']}/steps/loan", json=huge, headers=customer
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
