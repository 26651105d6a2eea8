"""One rule for every request body: strict types and every problem at once, at its own path."""

from __future__ import annotations

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient
from tests.fixtures.staff import StaffFactory

from ff_api.bodies import body_type, check_body

Client = AsyncTestClient[Litestar]


async def test_a_string_for_a_number_is_refused(client: Client) -> None:
    response = await client.post("/v1/quotes", json={"amount_pence": "100000", "term_months": 12})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"] == [{"path": "amount_pence", "message": "must be a whole number"}]


async def test_every_field_problem_is_reported_at_once_at_its_own_path(client: Client) -> None:
    response = await client.post(
        "/v1/quotes", json={"amount_pence": "a lot", "term_months": 12.5, "fee_pence": 0}
    )
    assert response.status_code == 422
    errors = {e["path"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "amount_pence": "must be a whole number",
        "term_months": "must be a whole number",
        "fee_pence": "is not a known field",
    }


async def test_a_missing_field_is_reported_under_its_own_name(client: Client) -> None:
    response = await client.post("/v1/quotes", json={})
    assert response.status_code == 422
    paths = sorted(e["path"] for e in response.json()["errors"])
    assert paths == ["amount_pence", "term_months"]


async def test_an_absent_body_names_each_required_field(client: Client) -> None:
    response = await client.post("/v1/quotes", headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert sorted(e["path"] for e in response.json()["errors"]) == ["amount_pence", "term_months"]


async def test_the_string_null_for_an_optional_date_is_refused_at_its_path(
    client: Client, staff_as: StaffFactory
) -> None:
    operations = await staff_as("operations")
    path = "/v1/staff/loans/no-such-loan/arrangements"
    body = {"kind": "breathing_space", "starts_on": "2026-12-01", "ends_on": "null"}
    response = await client.post(path, json=body, headers=operations.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [e["path"] for e in problem["errors"]] == ["ends_on"]
    # JSON's own null is the absent date: the body passes, and the loan is looked for.
    response = await client.post(path, json={**body, "ends_on": None}, headers=operations.headers)
    assert response.status_code == 404, response.text


async def test_a_body_that_is_not_an_object_says_so(client: Client) -> None:
    response = await client.post("/v1/quotes", json=[1, 2])
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "", "message": "must be an object"}]


async def test_every_route_that_takes_a_body_is_checked_strictly(client: Client) -> None:
    app = client.app
    taking_a_body = [
        handler
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if isinstance(handler, HTTPRouteHandler)
        and "data" in handler.parsed_fn_signature.parameters
    ]
    assert taking_a_body
    unchecked = [str(h) for h in taking_a_body if body_type(h)[0] is None]
    assert unchecked == []
    # A router or controller with its own before_request hook would shadow the app's.
    shadowed = [str(h) for h in taking_a_body if h.resolve_before_request() is not check_body]
    assert shadowed == []
