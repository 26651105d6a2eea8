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
    path = _path(url)
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - loop.time()
        request_headers = dict(await headers()) if headers is not None else {}
        failure: IntegrationError
        delivered = True
        try:
            async with session.request(
                method,
                URL(url, encoded=True),
                headers=request_headers,
                data=body,
                timeout=aiohttp.ClientTimeout(
                    total=max(0.05, min(policy.timeout_seconds, remaining))
                ),
                allow_redirects=False,
            ) as raw:
                payload = await raw.read()
                response = HttpResponse(
                    status=raw.status,
                    headers={k.lower(): v for k, v in raw.headers.items()},
                    body=payload,
                )
        except TimeoutError:
            failure = UpstreamTimeout(service, f"{method} {path} timed out")
        except aiohttp.ClientConnectorError:
            delivered = False
            failure = UpstreamUnavailable(service, f"{method} {path}: connection refused")
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            failure = UpstreamUnavailable(
                service, f"{method} {path}: connection dropped ({type(exc).__name__})"
            )
        except aiohttp.ClientResponseError as exc:
            failure = MalformedResponse(
                service, f"{method} {path}: unreadable response ({type(exc).__name__})"
            )
        else:
            if response.status == 429:
                delivered = False
                wait = parse_retry_after(response.header("retry-after"))
                failure = UpstreamThrottled(
                    service,
                    f"{method} {path} was throttled",
                    status=429,
                    retry_after=DEFAULT_RETRY_AFTER_SECONDS if wait is None else wait,
                )
            elif response.status in RETRYABLE_STATUSES:
                failure = UpstreamUnavailable(
                    service, f"{method} {path} answered {response.status}", status=response.status
                )
            else:
                return response
        if not idempotent and delivered:
            raise failure
        if isinstance(failure, UpstreamThrottled):
            delay = failure.retry_after or DEFAULT_RETRY_AFTER_SECONDS
            if loop.time() + delay > deadline:
                raise failure
        else:
            delay = backoff_delay(attempt, policy, rng)
            if loop.time() + delay >= deadline:
                raise RetryDeadlineExceeded(
                    service,
                    f"{method} {path} still failing after {attempt} attempt(s): {failure.detail}",
                    last=failure,
                    attempts=attempt,
                )
        log.info(
            "integration_call_retrying",
            service=service,
            method=method,
            path=path,
            attempt=attempt,
            failure=failure.kind,
            status=failure.status,
            delay_seconds=round(delay, 3),
        )
        await asyncio.sleep(delay)


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
