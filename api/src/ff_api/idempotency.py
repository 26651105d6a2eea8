"""One idempotency behaviour for every route that takes ``Idempotency-Key``.

The first request with a key claims it in Redis (scoped by the caller and the route) and its
successful answer is stored; a repeat with the same key and the same request gets that stored
answer — the same status, body and headers as the first time — marked
``Idempotent-Replayed: true``, without acting again. A repeat while the first is still running
waits for its answer. The same key with a different request (another path or body) is
``409 idempotency_key_reused``. A first request that failed stored nothing: its key can be
used again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response

from ff_api.services import Services
from ff_shared.errors import Conflict, IdempotencyConflict
from ff_shared.stores.redis import idempotency as store

REPLAYED = "Idempotent-Replayed"
TTL_SECONDS = 24 * 60 * 60
"""How long a stored answer is replayed."""
WAIT_SECONDS = 30.0
"""How long a repeat waits for the first request's answer."""
_POLL_SECONDS = 0.05


class IdempotencyInProgress(Conflict):
    code = "idempotency_request_in_progress"
    title = "A request with this idempotency key is still being processed"


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    status: int
    body: Any
    headers: dict[str, str]


def route_of(request: Request[Any, Any, Any]) -> str:
    """The route a key is scoped by: the operation, whatever the path's ids."""
    handler = request.route_handler
    operation = handler.operation_id if isinstance(handler.operation_id, str) else None
    return operation or handler.handler_name


async def _fingerprint(request: Request[Any, Any, Any]) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), await request.body()):
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()


def _replay(stored: StoredResponse) -> Response[Any]:
    return Response(
        stored.body, status_code=stored.status, headers={**stored.headers, REPLAYED: "true"}
    )


async def _settled(
    services: Services, scope: str, key: str, record: store.IdempotencyRecord
) -> store.IdempotencyRecord | None:
    """The record once its first request has answered (None: it gave up its claim)."""
    waited = 0.0
    while record.state == "in_progress" and waited < WAIT_SECONDS:
        await asyncio.sleep(_POLL_SECONDS)
        waited += _POLL_SECONDS
        latest = await store.find(services.redis, scope, key)
        if latest is None:
            return None
        record = latest
    return record


async def idempotent(
    request: Request[Any, Any, Any],
    services: Services,
    principal_id: str,
    key: str | None,
    run: Callable[[], Awaitable[Response[Any]]],
) -> Response[Any]:
    """Answer with ``run()`` the first time a key is used, and with that answer ever after."""
    if key is None:
        return await run()
    scope = f"{principal_id}:{route_of(request)}"
    fingerprint = await _fingerprint(request)
    for _ in range(3):
        claimed, record = await store.claim(
            services.redis, scope, key, fingerprint=fingerprint, ttl_seconds=TTL_SECONDS
        )
        if claimed:
            return await _first(services, scope, key, fingerprint, run)
        if record.fingerprint != fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was used for a different request; use a new key"
            )
        settled = await _settled(services, scope, key, record)
        if settled is None:
            continue  # the first request failed and gave the key up: act on this one
        if settled.state == "done" and settled.response is not None:
            return _replay(msgspec.convert(settled.response, StoredResponse))
        break
    raise IdempotencyInProgress("the first request with this key has not answered yet; retry")


async def _first(
    services: Services,
    scope: str,
    key: str,
    fingerprint: str,
    run: Callable[[], Awaitable[Response[Any]]],
) -> Response[Any]:
    try:
        response = await run()
    except BaseException:
        await store.release(services.redis, scope, key)
        raise
    stored = StoredResponse(
        status=response.status_code or 200,
        body=msgspec.to_builtins(response.content),
        headers={k: v for k, v in dict(response.headers).items() if k != REPLAYED},
    )
    await store.complete(
        services.redis,
        scope,
        key,
        fingerprint=fingerprint,
        response=msgspec.to_builtins(stored),
        ttl_seconds=TTL_SECONDS,
    )
    return response
