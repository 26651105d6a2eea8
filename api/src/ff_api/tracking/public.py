"""``POST /v1/track``: public, rate-limited per client (:mod:`ff_api.ratelimit`), no cookies."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK

from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.tracking.ingest import TrackResult, ingest_body


class TrackController(Controller):
    path = "/track"
    tags = ["tracking"]
    security = []

    @post(
        operation_id="track_events",
        summary="Ingest a batch of the form's behaviour events",
        description=(
            'Body `{"events": [...]}`. Each event is validated on its own: the answer lists '
            "the ids accepted (queued for processing) and each refused event with its position, "
            "a reason code (`invalid_event`, `event_too_large`, `clock_skew`, "
            "`unknown_environment`, `unknown_step`, `unsupported_version`, `queue_unavailable`) "
            "and a detail. Sending the same event id again is harmless. Identity hints travel "
            "only as keyed hashes. No cookies are read or set."
        ),
        status_code=HTTP_200_OK,
    )
    async def track(
        self, request: Request[Any, Any, Any], services: NamedDependency[Services]
    ) -> Response[TrackResult]:
        tracker = services.tracker
        body = await request.body()
        result = await ingest_body(body, sqs=tracker.sqs, config=tracker.config, now=now_utc())
        return Response(result, status_code=HTTP_200_OK, headers={"Cache-Control": "no-store"})
