"""Request id and access log, as plain ASGI middleware; security headers on every response."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, BeforeMessageSendHookHandler, Message, Receive, Scope, Send

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


_API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI: its script and styles come from the CDN the render plugin names, plus its inline
# bootstrap; it fetches the OpenAPI document from this origin.
_DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"img-src 'self' data: https://cdn.jsdelivr.net; connect-src 'self'; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_HSTS = b"max-age=31536000; includeSubDomains"


def security_headers(
    trusted_proxies: int, docs_path: str = "/schema"
) -> BeforeMessageSendHookHandler:
    """A ``before_send`` hook adding the security headers to every response (unknown routes
    included): ``nosniff``, no referrer, a CSP that lets nothing load (the OpenAPI UI has its
    own), and HSTS when the request arrived over TLS (directly, or at a trusted proxy that says
    so in ``X-Forwarded-Proto``)."""

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path = scope.get("path", "")
        csp = _DOCS_CSP if path == docs_path or path.startswith(f"{docs_path}/") else _API_CSP
        added = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", csp),
            (b"x-frame-options", b"DENY"),
        ]
        if _over_tls(scope, trusted_proxies):
            added.append((b"strict-transport-security", _HSTS))
        message["headers"] = [*message.get("headers", ()), *added]

    return hook


def _over_tls(scope: Scope, trusted_proxies: int) -> bool:
    if scope.get("scheme") == "https":
        return True
    if trusted_proxies <= 0:
        return False
    protos: list[str] = []
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-proto":
            protos += [p.strip().lower() for p in value.decode("latin-1").split(",")]
    # The proxy nearest the API appended the last entry.
    return bool(protos) and protos[-1] == "https"
