"""Anthropic's Messages API through the official SDK, streamed, behind a personal-data guard.

Every request passes ``guard`` before it is sent: the guard raises to stop a request that would
carry personal data, so nothing the guard refuses ever leaves the platform. ``429`` (rate limited)
and ``529`` (overloaded) are retried with exponential backoff while no part of the answer has
been streamed; then they become typed integration errors like every other client's.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import anthropic
import msgspec
import structlog

from ff_shared.integrations.errors import (
    AuthenticationFailed,
    IntegrationError,
    RequestRejected,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from ff_shared.settings import AnalystSettings

SERVICE = "claude"
log = structlog.get_logger()


class Usage(msgspec.Struct, kw_only=True):
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens


class TextDelta(msgspec.Struct, frozen=True, kw_only=True):
    text: str


class TurnDone(msgspec.Struct, frozen=True, kw_only=True):
    content: list[dict[str, Any]]
    """The assistant turn's content blocks as the API returned them (text and tool_use)."""
    stop_reason: str | None
    usage: Usage


class Overloaded(UpstreamUnavailable):
    """``529``: the model's servers are overloaded."""

    kind = "overloaded"


def _translate(exc: anthropic.APIError) -> IntegrationError:
    if isinstance(exc, anthropic.APITimeoutError):
        return UpstreamTimeout(SERVICE, "no answer within the timeout")
    if isinstance(exc, anthropic.APIConnectionError):
        return UpstreamUnavailable(SERVICE, "connection failed")
    if isinstance(exc, anthropic.RateLimitError):
        after = exc.response.headers.get("retry-after")
        wait = float(after) if after and after.replace(".", "", 1).isdigit() else None
        return UpstreamThrottled(SERVICE, "rate limited", status=429, retry_after=wait)
    if isinstance(exc, anthropic.OverloadedError):
        return Overloaded(SERVICE, "overloaded", status=529)
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return AuthenticationFailed(SERVICE, "credentials refused", status=exc.status_code)
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code >= 500:
        return UpstreamUnavailable(SERVICE, "server error", status=exc.status_code)
    status = exc.status_code if isinstance(exc, anthropic.APIStatusError) else None
    return RequestRejected(SERVICE, "request refused", status=status)


class ClaudeClient:
    def __init__(
        self,
        settings: AnalystSettings,
        *,
        guard: Callable[[dict[str, Any]], None],
    ) -> None:
        self._settings = settings
        self._guard = guard
        self._client = anthropic.AsyncAnthropic(
            api_key=settings.api_key,
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.timeout_seconds,
        )

    @property
    def model(self) -> str:
        return self._settings.model

    async def close(self) -> None:
        await self._client.close()

    async def _backoff(self, attempt: int, error: IntegrationError) -> None:
        base = self._settings.retry_base_seconds * 2 ** (attempt - 1)
        wait = max(error.retry_after or 0.0, base * (0.5 + random.random() / 2))
        log.info("claude_call_retried", attempt=attempt, error=error.kind, wait_seconds=wait)
        await asyncio.sleep(wait)

    async def turn(
        self,
        *,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int | None = None,
    ) -> AsyncIterator[TextDelta | TurnDone]:
        """One assistant turn, streamed: text deltas as they come, then the whole turn."""
        request: dict[str, Any] = {
            "model": self._settings.model,
            "max_tokens": max_tokens or self._settings.max_tokens,
            "system": system,
            "messages": messages,
            "tools": tools,
        }
        self._guard(request)
        attempt = 0
        while True:
            attempt += 1
            streamed = False
            try:
                async with self._client.messages.stream(**request) as stream:
                    async for event in stream:
                        if event.type == "text":
                            streamed = True
                            yield TextDelta(text=event.text)
                    final = await stream.get_final_message()
            except anthropic.APIError as exc:
                error = _translate(exc)
                retryable = isinstance(error, UpstreamThrottled | Overloaded)
                if streamed or not retryable or attempt > self._settings.retries:
                    raise error from exc
                await self._backoff(attempt, error)
                continue
            yield TurnDone(
                content=[block.model_dump(exclude_none=True) for block in final.content],
                stop_reason=final.stop_reason,
                usage=Usage(
                    input_tokens=final.usage.input_tokens,
                    output_tokens=final.usage.output_tokens,
                ),
            )
            return
