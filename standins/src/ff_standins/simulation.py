"""What every third-party simulator shares: misbehaviour on demand and a log of what it was asked.

A simulator is a real aiohttp server speaking the third party's wire format. Tests (and people
on the local stack) tell it to misbehave through its admin API under ``/_sim``:

- ``POST /_sim/faults`` with a :class:`Fault`: the next ``times`` matching requests (1 when
  omitted; null: every one until cleared) are answered slowly, with a status (5xx), with ``429``
  + ``Retry-After``, with a malformed body, or by dropping the connection; ``after_processing``
  applies the fault after the request took effect (the third party committed, the answer was
  lost). ``DELETE /_sim/faults`` clears them.
- ``GET /_sim/requests?after=SEQ`` lists the requests served (method, path, status, fault,
  timings, the headers that matter), so tests can check waits and retries from the server's side.

Simulators are development tools: they refuse to start in production (see ``serve``).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

import msgspec
from aiohttp import web

ADMIN_PREFIX = "/_sim"

FaultKind = Literal["status", "rate_limit", "slow", "malformed", "drop"]
MalformedKind = Literal["truncated", "wrong_shape", "html"]

_RECORDED_HEADERS = ("prefer", "if-match", "if-none-match", "x-idempotency-key", "x-request-id")
_CREDENTIAL_HEADERS = ("authorization", "x-api-key")


class Fault(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: FaultKind
    times: int | None = 1
    """How many matching requests get it; null: every one until cleared."""
    status: int = 503
    """The status of a ``status`` fault."""
    retry_after: str | None = "1"
    """``Retry-After`` of a ``rate_limit`` fault (seconds or an HTTP-date); null: none sent."""
    delay_seconds: float = 5.0
    """How long a ``slow`` fault waits before answering."""
    body: MalformedKind = "truncated"
    """What a ``malformed`` fault answers."""
    method: str | None = None
    path_contains: str | None = None
    """Matched against the path and raw query string."""
    after_processing: bool = False


class RequestRecord(msgspec.Struct, kw_only=True):
    seq: int
    method: str
    path: str
    query: str
    status: int | None = None
    fault: str | None = None
    started: float
    """``time.monotonic()`` on the simulator when the request arrived."""
    finished: float | None = None
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    authorized: bool = False
    credentials: list[str] = msgspec.field(default_factory=list)
    """Fingerprints (:func:`credential_fingerprint`) of every credential header received, so a
    test can tell which credential arrived without the log holding one."""


def credential_fingerprint(value: str) -> str:
    """A credential header's value (``Bearer x`` or an API key) as a short SHA-256 prefix."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


class Simulation:
    """Faults waiting to be served and the log of requests, shared by a simulator's handlers."""

    def __init__(self, malformed: Mapping[MalformedKind, bytes]) -> None:
        self.faults: list[Fault] = []
        self.requests: list[RequestRecord] = []
        self._seq = itertools.count(1)
        self._malformed = dict(malformed)

    def take_fault(self, request: web.Request) -> Fault | None:
        target = request.path_qs
        for fault in self.faults:
            if fault.method is not None and fault.method.upper() != request.method:
                continue
            if fault.path_contains is not None and fault.path_contains not in target:
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    def malformed_body(self, kind: MalformedKind) -> bytes:
        return self._malformed[kind]

    def record(self, request: web.Request) -> RequestRecord:
        record = RequestRecord(
            seq=next(self._seq),
            method=request.method,
            path=request.path,
            query=request.query_string,
            started=time.monotonic(),
            headers={h: request.headers[h] for h in _RECORDED_HEADERS if h in request.headers},
            authorized="authorization" in request.headers or "x-api-key" in request.headers,
            credentials=[
                credential_fingerprint(value)
                for name in _CREDENTIAL_HEADERS
                for value in request.headers.getall(name, [])
            ],
        )
        self.requests.append(record)
        del self.requests[:-5000]
        return record


SIMULATION = web.AppKey("simulation", Simulation)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _drop(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


def _apply(sim: Simulation, fault: Fault, request: web.Request) -> web.Response | None:
    """The response a fault replaces the real one with (None: a ``slow`` fault lets it through)."""
    if fault.kind == "status":
        return web.json_response(
            {"error": {"code": "SimulatedFault", "message": f"simulated {fault.status}"}},
            status=fault.status,
        )
    if fault.kind == "rate_limit":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return web.json_response(
            {
                "error": {
                    "code": "0x80072322",
                    "message": "Number of requests exceeded the limit of 6000 over time window of "
                    "300 seconds.",
                }
            },
            status=429,
            headers=headers,
        )
    if fault.kind == "malformed":
        content_type = "text/html" if fault.body == "html" else "application/json"
        return web.Response(
            status=200, body=sim.malformed_body(fault.body), content_type=content_type
        )
    if fault.kind == "drop":
        return _drop(request)
    return None


@web.middleware
async def simulation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(ADMIN_PREFIX):
        return await handler(request)
    sim = request.app[SIMULATION]
    record = sim.record(request)
    fault = sim.take_fault(request)
    record.fault = fault.kind if fault is not None else None
    try:
        if fault is not None and not fault.after_processing:
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay_seconds)
            elif (replaced := _apply(sim, fault, request)) is not None:
                record.status = None if fault.kind == "drop" else replaced.status
                return replaced
        response = await handler(request)
        record.status = response.status
        if fault is not None and fault.after_processing:
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay_seconds)
            elif (replaced := _apply(sim, fault, request)) is not None:
                record.status = None if fault.kind == "drop" else replaced.status
                return replaced
        return response
    except web.HTTPException as exc:
        record.status = exc.status
        raise
    finally:
        record.finished = time.monotonic()


async def _add_fault(request: web.Request) -> web.Response:
    try:
        fault = msgspec.json.decode(await request.read(), type=Fault)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    request.app[SIMULATION].faults.append(fault)
    return web.json_response(msgspec.to_builtins(fault), status=201)


async def _clear_faults(request: web.Request) -> web.Response:
    request.app[SIMULATION].faults.clear()
    return web.Response(status=204)


async def _list_requests(request: web.Request) -> web.Response:
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        return web.json_response({"error": "after must be an integer"}, status=400)
    records = [r for r in request.app[SIMULATION].requests if r.seq > after]
    return web.Response(body=msgspec.json.encode(records), content_type="application/json")


def add_simulation_routes(app: web.Application, sim: Simulation) -> None:
    app[SIMULATION] = sim
    app.middlewares.append(simulation_middleware)
    app.router.add_post(f"{ADMIN_PREFIX}/faults", _add_fault)
    app.router.add_delete(f"{ADMIN_PREFIX}/faults", _clear_faults)
    app.router.add_get(f"{ADMIN_PREFIX}/requests", _list_requests)


def serve(app: web.Application, *, host: str, port: int, name: str) -> None:
    """Run ``app`` until interrupted (the simulators' ``python -m`` entry points)."""
    # Loopback only, unless the simulator runs in a container of the local compose stack, which
    # reaches it from other containers (FF_STANDINS_LISTEN_ANY=1 there, and nowhere else).
    if (
        host not in ("127.0.0.1", "localhost", "::1")
        and os.environ.get("FF_STANDINS_LISTEN_ANY") != "1"
    ):
        raise SystemExit(f"{name}: simulators listen on loopback only, not {host}")
    print(f"{name} listening on http://{host}:{port}", flush=True)
    web.run_app(app, host=host, port=port, access_log=None, print=None, handle_signals=True)
