"""One resilient HTTP exchange over aiohttp, shared by the REST integration clients.

Each attempt has its own timeout; the whole call has a deadline. ``429`` waits exactly what
``Retry-After`` asks (retrying early lengthens a Dataverse penalty); 5xx answers, timeouts and
dropped connections back off exponentially with jitter. A non-idempotent request is retried only
when the third party certainly did not act on it (a refused connection, a ``429``), so a create
is never sent twice by this layer; its caller makes it safe at a higher level.

Logs name the service, method and path only: queries and bodies can carry personal data.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp
import msgspec
import structlog
from yarl import URL

from ff_shared.clock import now_utc
from ff_shared.integrations.errors import (
    IntegrationError,
    MalformedResponse,
    RetryDeadlineExceeded,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = structlog.get_logger()

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_RETRY_AFTER_SECONDS = 1.0


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    timeout_seconds: float
    """Longest wait for one attempt's complete answer."""
    deadline_seconds: float
    """Longest time for the whole call, retries and waits included."""
    backoff_base_seconds: float = 0.2
    backoff_max_seconds: float = 5.0


class HttpResponse(msgspec.Struct, frozen=True, kw_only=True):
    status: int
    headers: dict[str, str]
    """Header names in lower case; a repeated header keeps its last value."""
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


HeadersFactory = Callable[[], Awaitable[Mapping[str, str]]]


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random, so retries
    spread out but never collapse to zero."""
    step = min(policy.backoff_max_seconds, policy.backoff_base_seconds * 2.0 ** (attempt - 1))
    jitter: float = (rng or random).uniform(0.0, step / 2)
    return step / 2 + jitter


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP-date); None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or now_utc())).total_seconds())


def _path(url: str) -> str:
    return urlsplit(url).path


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    service: str,
    policy: RetryPolicy,
    headers: HeadersFactory | None = None,
    body: bytes | None = None,
    idempotent: bool,
    rng: random.Random | None = None,
) -> HttpResponse:
    """Send one request, retrying retryable failures until ``policy.deadline_seconds``.

    ``url`` is sent exactly as given (already percent-encoded): an OData ``@odata.nextLink``
    must be followed verbatim.

    Returns any answer that is not a retryable failure (2xx, 3xx and 4xx other than 429: the
    caller interprets them). Raises ``UpstreamThrottled`` when the wait asked for would pass the
    deadline, ``RetryDeadlineExceeded`` when retries ran out of time, or the failure itself when
    it may not be retried (a non-idempotent request the third party may have acted on).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + policy.deadline_seconds
    call = _Call(service=service, method=method, path=_path(url))
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - loop.time()
        request_headers = dict(await headers()) if headers is not None else {}
        outcome = await _attempt(
            session,
            call,
            url,
            headers=request_headers,
            body=body,
            limit_seconds=max(0.05, min(policy.timeout_seconds, remaining)),
        )
        if isinstance(outcome, HttpResponse):
            return outcome
        if not idempotent and outcome.delivered:
            raise outcome.error
        delay = _delay_before_retry(
            call, outcome.error, attempt, policy, rng, time_left=deadline - loop.time()
        )
        log.info(
            "integration_call_retrying",
            service=service,
            method=method,
            path=call.path,
            attempt=attempt,
            failure=outcome.error.kind,
            status=outcome.error.status,
            delay_seconds=round(delay, 3),
        )
        await asyncio.sleep(delay)


class _Call(msgspec.Struct, frozen=True, kw_only=True):
    """What the failures and logs of one call name: never its query or body."""

    service: str
    method: str
    path: str

    @property
    def what(self) -> str:
        return f"{self.method} {self.path}"


class _Failure(msgspec.Struct, frozen=True, kw_only=True):
    error: IntegrationError
    delivered: bool
    """Whether the third party may have acted on the request."""


async def _attempt(
    session: aiohttp.ClientSession,
    call: _Call,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None,
    limit_seconds: float,
) -> HttpResponse | _Failure:
    """One attempt: the answer, or the retryable failure it ended in."""
    service, what = call.service, call.what
    error: IntegrationError
    try:
        async with session.request(
            call.method,
            URL(url, encoded=True),
            headers=headers,
            data=body,
            timeout=aiohttp.ClientTimeout(total=limit_seconds),
            allow_redirects=False,
        ) as raw:
            payload = await raw.read()
            response = HttpResponse(
                status=raw.status,
                headers={k.lower(): v for k, v in raw.headers.items()},
                body=payload,
            )
    except TimeoutError:
        return _Failure(error=UpstreamTimeout(service, f"{what} timed out"), delivered=True)
    except aiohttp.ClientConnectorError:
        error = UpstreamUnavailable(service, f"{what}: connection refused")
        return _Failure(error=error, delivered=False)
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
        error = UpstreamUnavailable(service, f"{what}: connection dropped ({type(exc).__name__})")
        return _Failure(error=error, delivered=True)
    except aiohttp.ClientResponseError as exc:
        error = MalformedResponse(service, f"{what}: unreadable response ({type(exc).__name__})")
        return _Failure(error=error, delivered=True)
    return _retryable_answer(call, response) or response


def _retryable_answer(call: _Call, response: HttpResponse) -> _Failure | None:
    """A ``429`` or a 5xx answer as the failure to retry (None: the caller's to interpret)."""
    if response.status == 429:
        wait = parse_retry_after(response.header("retry-after"))
        throttled = UpstreamThrottled(
            call.service,
            f"{call.what} was throttled",
            status=429,
            retry_after=DEFAULT_RETRY_AFTER_SECONDS if wait is None else wait,
        )
        return _Failure(error=throttled, delivered=False)
    if response.status in RETRYABLE_STATUSES:
        error = UpstreamUnavailable(
            call.service, f"{call.what} answered {response.status}", status=response.status
        )
        return _Failure(error=error, delivered=True)
    return None


def _delay_before_retry(
    call: _Call,
    failure: IntegrationError,
    attempt: int,
    policy: RetryPolicy,
    rng: random.Random | None,
    *,
    time_left: float,
) -> float:
    """How long to wait before the next attempt; raises when that would pass the deadline."""
    if isinstance(failure, UpstreamThrottled):
        delay = failure.retry_after or DEFAULT_RETRY_AFTER_SECONDS
        if delay > time_left:
            raise failure
        return delay
    delay = backoff_delay(attempt, policy, rng)
    if delay >= time_left:
        raise RetryDeadlineExceeded(
            call.service,
            f"{call.what} still failing after {attempt} attempt(s): {failure.detail}",
            last=failure,
            attempts=attempt,
        )
    return delay


def decode_json(response: HttpResponse, type_: type[T], *, service: str, what: str) -> T:
    """Decode a JSON body into ``type_`` or raise ``MalformedResponse`` carrying the raw body."""
    try:
        return msgspec.json.decode(response.body, type=type_)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        # msgspec's messages name the path and the expected type, never the value.
        raise MalformedResponse(
            service,
            f"{what} is not the documented shape: {exc}",
            status=response.status,
            raw=response.body,
            problems=(str(exc),),
        ) from exc
