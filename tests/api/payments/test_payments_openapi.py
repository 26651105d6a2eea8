"""The OpenAPI document describes every repayment route, its body and its problem answers."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

OPERATIONS = {
    "start_mandate": ("post", "/v1/applications/{application_id}/mandate"),
    "get_mandate": ("get", "/v1/applications/{application_id}/mandate"),
    "get_repayments": ("get", "/v1/loans/{loan_id}/repayments"),
    "list_loan_payments": ("get", "/v1/loans/{loan_id}/payments"),
    "pay_now": ("post", "/v1/loans/{loan_id}/payments"),
    "report_difficulty": ("post", "/v1/loans/{loan_id}/difficulty"),
    "staff_list_failed_collections": ("get", "/v1/staff/payments/failed"),
    "staff_list_difficulty_requests": ("get", "/v1/staff/payments/difficulty-requests"),
    "staff_run_collections": ("post", "/v1/staff/payments/collections/run"),
    "staff_get_repayments": ("get", "/v1/staff/loans/{loan_id}/repayments"),
    "staff_agree_arrangement": ("post", "/v1/staff/loans/{loan_id}/arrangements"),
    "staff_end_arrangement": (
        "post",
        "/v1/staff/loans/{loan_id}/arrangements/{arrangement_id}/end",
    ),
    "staff_change_collection_day": ("post", "/v1/staff/loans/{loan_id}/collection-day"),
    "receive_payment_webhook": ("post", "/v1/payments/webhooks"),
}


async def test_every_repayment_route_and_its_errors_are_documented(
    client: AsyncTestClient[Litestar],
) -> None:
    document: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    for operation_id, (method, path) in OPERATIONS.items():
        operation = document["paths"][path][method]
        assert operation["operationId"] == operation_id
        responses = operation["responses"]
        assert {"400", "422"} <= set(responses), operation_id
        for status, response in responses.items():
            if int(status) >= 400:
                assert "application/problem+json" in response["content"], (operation_id, status)
    assert "498" in document["paths"]["/v1/payments/webhooks"]["post"]["responses"]
    assert "503" in document["paths"]["/v1/loans/{loan_id}/payments"]["post"]["responses"]
    pay_now = document["paths"]["/v1/loans/{loan_id}/payments"]["post"]
    assert any(
        p["name"] == "Idempotency-Key" and p["in"] == "header" for p in pay_now["parameters"]
    )
    staff = document["paths"]["/v1/staff/payments/failed"]["get"]["responses"]
    assert "403" in staff
    day = document["paths"]["/v1/staff/loans/{loan_id}/collection-day"]["post"]["responses"]
    assert {"403", "404", "409", "503"} <= set(day)
    assert "collection_day_not_movable" in day["409"]["description"]
    payment = document["components"]["schemas"]["PaymentView"]["properties"]
    assert "reversed_in_loan_book" in payment
