"""The public calculator and the form description: no token, same rules as the domain."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ff_shared.domain.application import STEPS, example_for

Client = AsyncTestClient[Litestar]


async def test_a_quote_prices_the_loan_with_its_schedule(client: Client) -> None:
    response = await client.post("/v1/quotes", json={"amount_pence": 100_000, "term_months": 12})
    assert response.status_code == 200, response.text
    quote = response.json()
    schedule = quote["schedule"]
    assert len(schedule) == 12
    assert [row["number"] for row in schedule] == list(range(1, 13))
    assert sum(row["principal_pence"] for row in schedule) == 100_000
    assert sum(row["amount_pence"] for row in schedule) == quote["total_repayable_pence"]
    assert quote["total_interest_pence"] == quote["total_repayable_pence"] - 100_000
    assert schedule[-1]["balance_after_pence"] == 0
    assert all(row["amount_pence"] == quote["monthly_instalment_pence"] for row in schedule[:-1])
    assert quote["apr_percent"] > 36.0
    assert round(quote["apr_percent"], 1) == quote["apr_percent"]
    assert schedule[0]["due_date"] < schedule[1]["due_date"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"amount_pence": 10_000, "term_months": 12}, "amount_pence"),
        ({"amount_pence": 100_001, "term_months": 12}, "amount_pence"),
        ({"amount_pence": 100_000, "term_months": 36}, "term_months"),
    ],
    ids=["below-minimum", "off-step", "term-too-long"],
)
async def test_a_loan_outside_the_product_names_the_field(
    client: Client, body: dict[str, int], path: str
) -> None:
    response = await client.post("/v1/quotes", json=body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [e["path"] for e in problem["errors"]] == [path]
    assert ("£" if path == "amount_pence" else "months") in problem["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ('{"amount_pence": "a lot", "term_months": 12}', 422, "validation_failed"),
        ('{"amount_pence": 100000}', 422, "validation_failed"),
        ('{"amount_pence": 100000, "term_months": 12, "fee_pence": 0}', 422, "validation_failed"),
        ("{broken", 400, "malformed_body"),
        ("[]", 422, "validation_failed"),
    ],
    ids=["wrong-type", "missing-field", "unknown-field", "malformed", "not-an-object"],
)
async def test_bad_quote_bodies_are_problems_not_crashes(
    client: Client, body: str, status: int, code: str
) -> None:
    response = await client.post(
        "/v1/quotes", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_unknown_fields_name_the_field(client: Client) -> None:
    response = await client.post(
        "/v1/quotes", json={"amount_pence": 100_000, "term_months": 12, "fee_pence": 0}
    )
    assert any("fee_pence" in (e["path"] + e["message"]) for e in response.json()["errors"])


async def test_the_form_describes_every_step_with_a_schema_and_a_valid_example(
    client: Client,
) -> None:
    response = await client.get("/v1/application-form")
    assert response.status_code == 200
    form = response.json()
    assert [s["name"] for s in form["steps"]] == list(STEPS)
    assert STEPS == (
        "loan",
        "personal",
        "address",
        "employment",
        "expenditure",
        "bank",
        "declarations",
    )
    for step in form["steps"]:
        assert step["json_schema"]
        assert step["example"] == example_for(step["name"])
    assert form["product"]["min_amount_pence"] == 20_000


async def test_unknown_routes_and_methods_are_problems(client: Client) -> None:
    missing = await client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    wrong = await client.delete("/v1/quotes")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"


async def test_openapi_document_describes_every_route_with_an_operation_id(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    operations = [
        op
        for path in document["paths"].values()
        for method, op in path.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert operations
    assert all(op.get("operationId") for op in operations)
    ids = {op["operationId"] for op in operations}
    assert {
        "create_quote",
        "create_application",
        "save_application_step",
        "submit_application",
        "get_me",
    } <= ids
    assert "customer_token" in document["components"]["securitySchemes"]
    submit = document["paths"]["/v1/applications/{application_id}/submit"]["post"]
    assert {"200", "401", "404", "409", "422"} <= submit["responses"].keys()
    problem = submit["responses"]["409"]["content"]["application/problem+json"]["schema"]
    assert problem
