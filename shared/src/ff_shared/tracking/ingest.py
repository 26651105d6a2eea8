"""The one ingestion function behind both deployables: the API's ``POST /v1/track`` and the
``tracker-ingest`` Lambda. It validates a batch event by event, stamps server time, and routes
each accepted event to its environment's FIFO queue (group = session, dedup = event id).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import msgspec
import structlog

from ff_shared.domain.tracking.batches import (
    QUEUE_UNAVAILABLE,
    Rejection,
    describe_rejections,
    validate_batch,
)
from ff_shared.domain.tracking.events import StampedEvent
from ff_shared.errors import DependencyUnavailable, FieldProblem, InvalidInput, MalformedBody
from ff_shared.tracking.config import IngestConfig
from ff_shared.tracking.sqs import send_events

log = structlog.get_logger()


class TrackRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    events: list[msgspec.Raw]


class TrackResult(msgspec.Struct, kw_only=True):
    accepted: list[str]
    """Ids of the events queued (an id repeated in the batch is listed once)."""
    rejected: list[Rejection]
    """Each refused event with its position, id (when readable), reason code and detail."""


def parse_request(body: bytes, config: IngestConfig) -> list[msgspec.Raw]:
    """The batch's events, undecoded; a body that is not a batch is refused as a whole."""
    try:
        request = msgspec.json.decode(body, type=TrackRequest)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            'the body must be {"events": [...]}',
            errors=[FieldProblem(path="events", message=str(exc))],
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody(str(exc)) from exc
    if not request.events:
        raise InvalidInput(
            "a batch needs at least one event",
            errors=[FieldProblem(path="events", message="is empty")],
        )
    if len(request.events) > config.limits.max_events:
        raise InvalidInput(
            f"a batch carries at most {config.limits.max_events} events",
            errors=[
                FieldProblem(
                    path="events",
                    message=f"has {len(request.events)} events; at most {config.limits.max_events}",
                )
            ],
        )
    return request.events


async def ingest(
    raw_events: list[msgspec.Raw], *, sqs: Any, config: IngestConfig, now: datetime
) -> TrackResult:
    outcome = validate_batch(
        raw_events,
        received_at=now,
        limits=config.limits,
        environments=config.queues,
        default_environment=config.default_environment,
    )
    by_queue: dict[str, list[StampedEvent]] = {}
    for event in outcome.accepted:
        by_queue.setdefault(config.queues[event.environment], []).append(event)
    results = await asyncio.gather(
        *(send_events(sqs, url, events) for url, events in by_queue.items())
    )
    sent = [event_id for ok, _failed in results for event_id in ok]
    failed = {event_id for _ok, bad in results for event_id in bad}
    if failed and not sent:
        raise DependencyUnavailable(
            "the tracking queue is unavailable; retry the batch", dependency="sqs"
        )
    index_of = {
        e.event_id: i for e, i in zip(outcome.accepted, outcome.accepted_indexes, strict=True)
    }
    rejected = list(outcome.rejected)
    rejected += [
        Rejection(
            index=index_of[event_id],
            event_id=event_id,
            reason=QUEUE_UNAVAILABLE,
            detail="not queued; send it again",
        )
        for event_id in sorted(failed, key=index_of.__getitem__)
    ]
    if outcome.rejected or failed:
        log.info(
            "tracker_events_rejected",
            accepted=len(sent),
            rejected=len(rejected),
            reasons=dict(describe_rejections(rejected)),
        )
    sent.sort(key=index_of.__getitem__)
    rejected.sort(key=lambda r: r.index)
    return TrackResult(accepted=sent, rejected=rejected)


async def ingest_body(body: bytes, *, sqs: Any, config: IngestConfig, now: datetime) -> TrackResult:
    return await ingest(parse_request(body, config), sqs=sqs, config=config, now=now)
