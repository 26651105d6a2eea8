from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ff_api.health import Check, _check


async def test_live_answers_ok(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_every_dependency(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert {c["name"] for c in body["checks"]} >= {
        "mongo",
        "redis",
        "cognito_customer_jwks",
        "cognito_staff_jwks",
    }
    assert all(c["ok"] for c in body["checks"])


async def test_a_failing_probe_is_named_with_its_error() -> None:
    async def broken() -> None:
        raise ConnectionRefusedError

    assert await _check("redis", broken) == Check(
        name="redis", ok=False, error="ConnectionRefusedError"
    )


async def test_every_response_carries_a_request_id(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "req-123456789"})
    assert response.headers["x-request-id"] == "req-123456789"
    generated = await client.get("/health/live", headers={"X-Request-ID": "bad id!"})
    assert len(generated.headers["x-request-id"]) == 32
