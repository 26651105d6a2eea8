"""Request id and access log, as plain ASGI middleware."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ff_shared.observability import current_trace_id

log = structlog.get_logger()

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_REQUEST_ID_HEADER = b"x-request-id"


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    # Bound once when the app is built (after logging is configured), not per request: the
    # lazy module logger would build a new bound logger on every call.
    access_log = log.bind()
    bind_contextvars = structlog.contextvars.bind_contextvars
    clear_contextvars = structlog.contextvars.clear_contextvars

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = b""
        for name, value in scope["headers"]:
            if name == _REQUEST_ID_HEADER:
                incoming = value  # the last one wins, as in a dict of the headers
        text = incoming.decode("latin-1")
        # Without a caller's id, the request id is the trace id (when tracing is on).
        request_id = (
            text if _VALID_REQUEST_ID.match(text) else current_trace_id() or uuid.uuid4().hex
        )
        encoded = request_id.encode("latin-1")
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (_REQUEST_ID_HEADER, encoded)],
                }
            await send(message)

        clear_contextvars()
        bind_contextvars(request_id=request_id)
        try:
            await app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request_completed",
                method=scope.get("method"),
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            clear_contextvars()

    return middleware
