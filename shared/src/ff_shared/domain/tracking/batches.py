"""Validating a batch of tracker events: each event judged on its own, with stable reasons for
the ones refused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec

from ff_shared.domain.tracking.events import (
    FIELD_EVENTS,
    FORMS,
    STEP_EVENTS,
    SUPPORTED_VERSIONS,
    EventType,
    StampedEvent,
    TrackerEvent,
    sanitise_referrer,
)


class BatchLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_events: int = 100
    max_event_bytes: int = 4_096
    max_future_skew: timedelta = timedelta(minutes=5)
    max_past_age: timedelta = timedelta(hours=24)


class Rejection(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    event_id: str | None
    reason: str
    detail: str


class BatchOutcome(msgspec.Struct, frozen=True, kw_only=True):
    accepted: list[StampedEvent]
    accepted_indexes: list[int]
    """Each accepted event's position in the batch."""
    rejected: list[Rejection]
    duplicates: list[str]
    """Event ids repeated within the batch: accepted once, sent once."""


# Reasons a single event is refused; stable codes the front end can act on.
INVALID_EVENT = "invalid_event"
EVENT_TOO_LARGE = "event_too_large"
CLOCK_SKEW = "clock_skew"
UNKNOWN_ENVIRONMENT = "unknown_environment"
UNKNOWN_STEP = "unknown_step"
UNSUPPORTED_VERSION = "unsupported_version"
QUEUE_UNAVAILABLE = "queue_unavailable"


def _rule_problem(event: TrackerEvent) -> tuple[str, str] | None:
    if event.schema_version not in SUPPORTED_VERSIONS:
        return UNSUPPORTED_VERSION, f"schema_version {event.schema_version} is not supported"
    steps = FORMS.get(event.form)
    if steps is None:
        return UNKNOWN_STEP, f"form {event.form!r} is not a tracked form"
    if event.step is not None and event.step not in steps:
        return UNKNOWN_STEP, f"step {event.step!r} is not a step of form {event.form!r}"
    if event.type in STEP_EVENTS and event.step is None:
        return INVALID_EVENT, f"a {event.type.value} event needs `step`"
    if event.type in FIELD_EVENTS and event.field is None:
        return INVALID_EVENT, f"a {event.type.value} event needs `field`"
    if event.type is EventType.FIELD_ERROR and event.error_code is None:
        return INVALID_EVENT, "a field_error event needs `error_code`"
    return None


def _event_id_of(raw: Any) -> str | None:
    value = raw.get("event_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else None


def validate_batch(
    raw_events: Sequence[msgspec.Raw],
    *,
    received_at: datetime,
    limits: BatchLimits,
    environments: Iterable[str],
    default_environment: str,
) -> BatchOutcome:
    """Validate each event of a batch on its own and stamp the accepted ones.

    ``raw_events`` are the undecoded JSON of each event, so size is measured as sent.
    """
    known = frozenset(environments)
    accepted: list[StampedEvent] = []
    accepted_indexes: list[int] = []
    rejected: list[Rejection] = []
    duplicates: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_events):
        try:
            event = msgspec.json.decode(raw, type=TrackerEvent)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            rejected.append(_undecodable(index, raw, exc, limits))
            continue
        environment = event.environment or default_environment
        problem = _event_problem(event, len(raw), environment, known, received_at, limits)
        if problem is not None:
            rejected.append(
                Rejection(
                    index=index, event_id=event.event_id, reason=problem[0], detail=problem[1]
                )
            )
            continue
        if event.event_id in seen:
            duplicates.append(event.event_id)
            continue
        seen.add(event.event_id)
        accepted_indexes.append(index)
        accepted.append(_stamped(event, received_at, environment))
    return BatchOutcome(
        accepted=accepted,
        accepted_indexes=accepted_indexes,
        rejected=rejected,
        duplicates=duplicates,
    )


def _undecodable(
    index: int, raw: msgspec.Raw, exc: msgspec.MsgspecError, limits: BatchLimits
) -> Rejection:
    try:
        loose: Any = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        loose = None
    detail = str(exc).replace("`$", f"`events[{index}]")
    reason = EVENT_TOO_LARGE if len(raw) > limits.max_event_bytes else INVALID_EVENT
    return Rejection(index=index, event_id=_event_id_of(loose), reason=reason, detail=detail)


def _event_problem(
    event: TrackerEvent,
    size: int,
    environment: str,
    known: frozenset[str],
    received_at: datetime,
    limits: BatchLimits,
) -> tuple[str, str] | None:
    """Why a decoded event is refused (reason, detail); None when it is accepted."""
    if size > limits.max_event_bytes:
        return EVENT_TOO_LARGE, f"{size} bytes; at most {limits.max_event_bytes}"
    problem = _rule_problem(event)
    if problem is not None:
        return problem
    if environment not in known:
        return UNKNOWN_ENVIRONMENT, f"environment {environment!r} is not configured"
    ahead = event.client_time - received_at
    if ahead > limits.max_future_skew:
        return CLOCK_SKEW, f"client_time is {ahead} ahead of the server"
    if -ahead > limits.max_past_age:
        return CLOCK_SKEW, f"client_time is {-ahead} old; at most {limits.max_past_age}"
    return None


def _stamped(event: TrackerEvent, received_at: datetime, environment: str) -> StampedEvent:
    context = event.context
    if context is not None and context.referrer is not None:
        context = msgspec.structs.replace(context, referrer=sanitise_referrer(context.referrer))
    return StampedEvent(
        schema_version=event.schema_version,
        event_id=event.event_id,
        session_id=event.session_id,
        anonymous_id=event.anonymous_id,
        type=event.type,
        form=event.form,
        step=event.step,
        field=event.field,
        error_code=event.error_code,
        client_time=event.client_time,
        received_at=received_at,
        environment=environment,
        context=context,
        identity_hashes=event.identity_hashes,
        application_id=event.application_id,
    )


def describe_rejections(rejected: Sequence[Rejection]) -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for r in rejected:
        counts[r.reason] = counts.get(r.reason, 0) + 1
    return counts
