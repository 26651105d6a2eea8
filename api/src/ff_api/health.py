"""Liveness and readiness. Readiness checks each dependency and names any that failed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency

from ff_api.services import Services
from ff_shared.stores.mongo import ping


class Live(msgspec.Struct, kw_only=True):
    status: str


class Check(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    ok: bool
    error: str | None = None


class Ready(msgspec.Struct, kw_only=True):
    status: str
    checks: list[Check]


async def _check(name: str, probe: Callable[[], Awaitable[object]]) -> Check:
    try:
        await asyncio.wait_for(probe(), timeout=3.0)
    except Exception as exc:  # noqa: BLE001 - a readiness probe reports every failure kind
        return Check(name=name, ok=False, error=type(exc).__name__)
    return Check(name=name, ok=True)


def readiness_probes(services: Services) -> dict[str, Callable[[], Awaitable[object]]]:
    return {
        "mongo": lambda: ping(services.mongo),
        "redis": services.redis.ping,
        "cognito_customer_jwks": services.customer_tokens.ready,
        "cognito_staff_jwks": services.staff_tokens.ready,
    }


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    include_in_schema = True

    @get("/live", operation_id="health_live", summary="The process is up")
    async def live(self) -> Live:
        return Live(status="ok")

    @get("/ready", operation_id="health_ready", summary="Every dependency answers")
    async def ready(self, services: NamedDependency[Services]) -> Response[Ready]:
        probes = readiness_probes(services)
        checks = list(await asyncio.gather(*(_check(n, p) for n, p in probes.items())))
        ok = all(c.ok for c in checks)
        return Response(
            Ready(status="ok" if ok else "unavailable", checks=checks),
            status_code=200 if ok else 503,
        )
