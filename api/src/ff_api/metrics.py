"""Prometheus metrics of the API: per-route request counts, errors and latency, and ``/metrics``."""

from __future__ import annotations

import time

from litestar import Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ff_shared.observability import HTTP_DURATION, HTTP_ERRORS, HTTP_REQUESTS, metrics_text


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Counts every routed request under its route template (``/v1/applications/{id:uuid}``),
    never the raw path, so the labels stay few."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_and_see(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_see)
        finally:
            method = str(scope.get("method", ""))
            route = scope.get("path_template") or "unmatched"
            HTTP_REQUESTS.labels(method, route, str(status["code"])).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)
            if status["code"] >= 500:
                HTTP_ERRORS.labels(method, route).inc()

    return middleware


@get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics of this process",
    include_in_schema=False,
    sync_to_thread=False,
)
def metrics() -> Response[bytes]:
    body, media_type = metrics_text()
    return Response(content=body, media_type=media_type)
