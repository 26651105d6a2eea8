"""Abuse: per-client rate limits on public routes and customer writes (keyed through the
trusted proxies only), security headers on every response, and bounded staff search."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.api import TokenFactory, bearer

from ff_api.app import create_app
from ff_api.ratelimit import client_address, limit_for
from ff_shared.settings import Settings, load_settings

Client = AsyncTestClient[Litestar]
QUOTE = {"amount_pence": 100_000, "term_months": 12}
_RAISED = (
    "FF_API_PUBLIC_RATE_LIMIT_PER_MINUTE",
    "FF_API_CUSTOMER_WRITE_RATE_LIMIT_PER_MINUTE",
    "FF_TRACKER_RATE_LIMIT_PER_MINUTE",
)


def _defaults_env(base_env: dict[str, str], **extra: str) -> dict[str, str]:
    """The session's environment with the limits at their defaults, counted apart."""
    env = {k: v for k, v in base_env.items() if k not in _RAISED}
    env["FF_API_RATE_LIMIT_KEY_PREFIX"] = f"ff:test:ratelimit:{uuid.uuid4().hex}"
    return {**env, **extra}


@pytest.fixture(scope="module")
async def default_limits(base_env: dict[str, str]) -> AsyncIterator[tuple[Client, Settings]]:
    settings = load_settings(_defaults_env(base_env))
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client, settings


async def _until_limited(
    client: Client, limit: int, send: Callable[[], Awaitable[Any]]
) -> tuple[int, Any]:
    """Requests until the first 429 (at most two windows' worth): (successes, the 429)."""
    passed = 0
    for _ in range(2 * limit + 2):
        response = await send()
        if response.status_code == 429:
            return passed, response
        passed += 1
    raise AssertionError(f"no 429 after {passed} requests (limit {limit})")


async def test_the_default_public_limit_bites_whatever_x_forwarded_for_says(
    default_limits: tuple[Client, Settings],
) -> None:
    client, settings = default_limits
    limit = settings.api.public_rate_limit_per_minute
    assert settings.api.trusted_proxies == 0

    async def send() -> Any:
        # A new made-up address each time: with no trusted proxy, none of it is believed.
        spoofed = f"198.51.100.{uuid.uuid4().int % 250}"
        return await client.post("/v1/quotes", json=QUOTE, headers={"X-Forwarded-For": spoofed})

    passed, limited = await _until_limited(client, limit, send)
    # The minute may turn during the run, which resets the count once.
    assert limit <= passed <= 2 * limit
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("application/problem+json")
    problem = limited.json()
    assert problem["code"] == "rate_limited"
    assert problem["status"] == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Other route groups keep their own count.
    form = await client.get("/v1/application-form")
    assert form.status_code == 200


async def test_the_default_customer_write_limit_bites(
    default_limits: tuple[Client, Settings], customer_token: TokenFactory
) -> None:
    client, settings = default_limits
    limit = settings.api.customer_write_rate_limit_per_minute
    headers = bearer(await customer_token())

    async def send() -> Any:
        return await client.post("/v1/applications", headers=headers)

    passed, limited = await _until_limited(client, limit, send)
    assert limit <= passed <= 2 * limit
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    # Reads are not writes: the customer can still look.
    assert (await client.get("/v1/applications", headers=headers)).status_code == 200


async def test_behind_a_trusted_proxy_only_its_entry_is_the_key(base_env: dict[str, str]) -> None:
    settings = load_settings(
        _defaults_env(base_env, FF_API_TRUSTED_PROXIES="1", FF_API_PUBLIC_RATE_LIMIT_PER_MINUTE="2")
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        statuses = []
        for n in range(3):
            # The client varies what it writes; the balancer's appended entry stays the same.
            forwarded = f"203.0.113.{n}, 192.0.2.77"
            response = await client.post(
                "/v1/quotes", json=QUOTE, headers={"X-Forwarded-For": forwarded}
            )
            statuses.append(response.status_code)
        assert statuses[-1] == 429
        other = await client.post(
            "/v1/quotes", json=QUOTE, headers={"X-Forwarded-For": "192.0.2.78"}
        )
        assert other.status_code == 200


def test_every_public_route_and_customer_write_is_limited(settings: Settings) -> None:
    cases = {
        ("POST", "/v1/quotes"): "quotes",
        ("GET", "/v1/application-form"): "application_form",
        ("GET", "/v1/open-banking/callback"): "open_banking_callback",
        ("POST", "/v1/track"): "track",
        ("POST", "/v1/applications"): "customer_write",
        ("PUT", "/v1/applications/a1/steps/personal"): "customer_write",
        ("POST", "/v1/documents"): "customer_write",
        ("POST", "/v1/loans/l1/payments"): "customer_write",
        ("PATCH", "/v1/me"): "customer_write",
        ("GET", "/v1/applications"): None,
        ("OPTIONS", "/v1/quotes"): None,
        ("POST", "/v1/staff/applications/a1/approve"): None,
        ("POST", "/v1/payments/webhooks"): None,
        ("GET", "/health/ready"): None,
    }
    for (method, path), group in cases.items():
        limited = limit_for(method, path, settings)
        assert (limited[0] if limited else None) == group, (method, path)


def test_the_client_address_is_counted_from_the_right() -> None:
    headers = [(b"x-forwarded-for", b"10.9.9.9, 203.0.113.5"), (b"x-forwarded-for", b"192.0.2.1")]
    assert client_address(headers, "10.0.0.2", 0) == "10.0.0.2"
    assert client_address(headers, "10.0.0.2", 1) == "192.0.2.1"
    assert client_address(headers, "10.0.0.2", 2) == "203.0.113.5"
    assert client_address([], "10.0.0.2", 2) == "10.0.0.2"
    assert client_address(headers, "10.0.0.2", 9) == "10.9.9.9"


async def test_every_response_carries_the_security_headers(client: Client) -> None:
    for response in (
        await client.get("/health/live"),
        await client.get("/v1/no-such-route"),
        await client.post("/v1/quotes", content=b"{broken"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        # Not over TLS, and no trusted proxy to say otherwise.
        assert "strict-transport-security" not in response.headers
    spoofed = await client.get("/health/live", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in spoofed.headers
    ui = await client.get("/schema/swagger")
    assert ui.status_code == 200
    assert "https://cdn.jsdelivr.net" in ui.headers["content-security-policy"]


async def test_hsts_when_the_trusted_proxy_terminated_tls(base_env: dict[str, str]) -> None:
    settings = load_settings(_defaults_env(base_env, FF_API_TRUSTED_PROXIES="1"))
    async with AsyncTestClient(app=create_app(settings)) as client:
        tls = await client.get("/health/live", headers={"X-Forwarded-Proto": "https"})
        plain = await client.get("/health/live", headers={"X-Forwarded-Proto": "http"})
    assert tls.headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in plain.headers


async def test_cors_answers_only_the_configured_origins(client: Client, settings: Settings) -> None:
    allowed = settings.api.cors_origins.split(",")[0]
    for origin, expected in ((allowed, allowed), ("https://evil.example", None)):
        response = await client.options(
            "/v1/quotes",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert response.headers.get("access-control-allow-origin") == expected


async def test_staff_search_needs_a_real_term(client: Client, staff_token: TokenFactory) -> None:
    headers = bearer(await staff_token("underwriter"))
    short = await client.get("/v1/staff/customers", params={"q": "a"}, headers=headers)
    assert short.status_code == 422, short.text
    assert [e["path"] for e in short.json()["errors"]] == ["query.q"]
    fine = await client.get("/v1/staff/customers", params={"q": "ab"}, headers=headers)
    assert fine.status_code == 200
