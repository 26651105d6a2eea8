"""The ``tracker-ingest`` Lambda: the ingestion gateway behind an HTTP endpoint.

Deploy this module with the ``ff-shared`` package; the handler is
``ff_shared.tracking.lambda_handler.handler``, invoked by an API Gateway HTTP API (payload format
2.0) or a Lambda function URL. It runs the very function the API's ``POST /v1/track`` runs
(:func:`ff_shared.tracking.ingest.ingest_body`), with the same FF_ settings (``FF_TRACKER_*``,
``FF_AWS_*``, ``FF_API_CORS_ORIGINS``). The per-client rate limit of this deployable is the API
Gateway stage's throttling; it reads and sets no cookies. One event loop and one SQS client live
for the life of the execution environment, so warm invocations reuse the connection.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import msgspec
import structlog

from ff_shared.clock import now_utc
from ff_shared.errors import DomainError
from ff_shared.integrations.aws.session import client_options, make_session
from ff_shared.logging import configure_logging
from ff_shared.settings import Settings
from ff_shared.startup import load_runtime_settings
from ff_shared.tracking.config import IngestConfig, ingest_config
from ff_shared.tracking.ingest import ingest_body

log = structlog.get_logger()

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
_ALLOWED_HEADERS = "content-type,x-request-id"


class _Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config: IngestConfig = ingest_config(settings.tracker)
        self.origins = {o.strip() for o in settings.api.cors_origins.split(",") if o.strip()}
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.sqs: Any = None

    async def _client(self) -> Any:
        if self.sqs is None:
            session = make_session(self.settings.aws)
            self.sqs = await self.stack.enter_async_context(
                session.client("sqs", **client_options(self.settings.aws))
            )
        return self.sqs

    def _cors(self, headers: dict[str, str]) -> dict[str, str]:
        origin = headers.get("origin")
        if origin is None or origin not in self.origins:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
            "Vary": "Origin",
        }

    def _response(
        self, status: int, body: Any, headers: dict[str, str], content_type: str
    ) -> dict[str, Any]:
        return {
            "statusCode": status,
            "headers": {"Content-Type": content_type, "Cache-Control": "no-store", **headers},
            "body": msgspec.json.encode(body).decode() if body is not None else "",
            "isBase64Encoded": False,
        }

    async def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        cors = self._cors(headers)
        http = event.get("requestContext", {}).get("http", {})
        method = (http.get("method") or event.get("httpMethod") or "POST").upper()
        if method == "OPTIONS":
            return {"statusCode": 204, "headers": cors, "body": ""}
        if method != "POST":
            return self._problem(405, "method_not_allowed", "Method not allowed", "POST only", cors)
        raw = event.get("body") or ""
        body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
        if len(body) > self.settings.api.max_body_bytes:
            return self._problem(413, "body_too_large", "Payload too large", None, cors)
        try:
            result = await ingest_body(
                body, sqs=await self._client(), config=self.config, now=now_utc()
            )
        except DomainError as exc:
            problem = self._problem(exc.status, exc.code, exc.title, exc.detail, cors)
            if exc.errors:
                payload = msgspec.json.decode(problem["body"])
                payload["errors"] = msgspec.to_builtins(list(exc.errors))
                problem["body"] = msgspec.json.encode(payload).decode()
            return problem
        return self._response(200, result, cors, "application/json")

    def _problem(
        self, status: int, code: str, title: str, detail: str | None, cors: dict[str, str]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://docs.fairfinance.example/problems/{code}",
            "title": title,
            "status": status,
            "code": code,
        }
        if detail:
            body["detail"] = detail
        return self._response(status, body, cors, "application/problem+json")

    def __call__(self, event: dict[str, Any], _context: Any) -> dict[str, Any]:
        return self.loop.run_until_complete(self.handle(event))

    def close(self) -> None:
        self.loop.run_until_complete(self.stack.aclose())
        self.loop.close()


def make_handler(settings: Settings) -> _Gateway:
    """A handler over explicit settings (tests; the module-level ``handler`` reads the env)."""
    configure_logging(level=settings.log_level, json=settings.log_json)
    return _Gateway(settings)


_gateway: _Gateway | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: settings are read from the environment on the first call."""
    global _gateway  # one gateway per execution environment, made lazily
    if _gateway is None:
        _gateway = make_handler(load_runtime_settings())
    return _gateway(event, context)
