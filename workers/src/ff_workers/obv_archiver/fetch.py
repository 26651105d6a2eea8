"""Fetch: one OBV report's bytes, exactly as sent, or why they could not be had.

The client already retries timeouts, 5xx, 429 (honouring Retry-After) and dropped connections
up to its deadline. A body that arrived but is not the documented shape is not a fetch failure
here: its bytes go on to validation, which quarantines them if they stay bad.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec

from ff_shared.clock import now_utc
from ff_shared.integrations.errors import IntegrationError, MalformedResponse
from ff_shared.integrations.obv import schemas as wire
from ff_shared.integrations.obv.client import ObvClient


class Fetched(msgspec.Struct, frozen=True, kw_only=True):
    raw: bytes
    received_at: datetime
    decoded: wire.Report | None = None
    """The client's reading of ``raw`` when it was the wire shape (spares decoding it again)."""


class FetchFailed(msgspec.Struct, frozen=True, kw_only=True):
    error: str
    """The failure's kind and status, no body (safe for logs and the run summary)."""
    retryable: bool


async def fetch_report(
    obv: ObvClient, reference: str, *, clock: Callable[[], datetime] = now_utc
) -> Fetched | FetchFailed:
    try:
        fetched = await obv.fetch_report(reference)
    except MalformedResponse as exc:
        if exc.raw:
            return Fetched(raw=exc.raw, received_at=clock())
        return FetchFailed(error=exc.summary(), retryable=exc.retryable)
    except IntegrationError as exc:
        return FetchFailed(error=exc.summary(), retryable=exc.retryable)
    return Fetched(raw=fetched.raw, received_at=clock(), decoded=fetched.report)
