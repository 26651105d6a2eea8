"""Journey tracking: the versioned event schema, batch validation, and sessionisation.

The application form's tracker sends batches of events. Each event is validated on its own, so
one bad event never sinks a batch; accepted events are stamped with the server's time and the
environment they belong to. Sessions are built by folding events into aggregates whose merge is
commutative and associative (least, greatest, sum, earliest-wins), so the result does not depend
on arrival order, batch boundaries or how many processors share the queue. The same merge is
written in SQL in ``stores/postgres/tracker.py``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec

from ff_shared.domain.application import STEPS

SCHEMA_VERSION = 1
"""The event schema version this code writes; events carry it as ``schema_version``."""
SUPPORTED_VERSIONS = frozenset({1})

FORMS: dict[str, tuple[str, ...]] = {"application": STEPS}
"""Each tracked form and its steps in order: a funnel needs the order."""

SUBMITTED = "submitted"
START = "start"

_ID = msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
_NAME = msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.-]*$")
_HASH = msgspec.Meta(pattern=r"^[0-9a-f]{64}$", description="HMAC-SHA256, lowercase hex")
_TEXT = msgspec.Meta(min_length=1, max_length=200)

Id = Annotated[str, _ID]
Name = Annotated[str, _NAME]
KeyedHash = Annotated[str, _HASH]


class EventType(enum.StrEnum):
    PAGE_VIEW = "page_view"
    STEP_VIEW = "step_view"
    FIELD_FOCUS = "field_focus"
    FIELD_BLUR = "field_blur"
    FIELD_ERROR = "field_error"
    STEP_COMPLETE = "step_complete"
    FORM_SUBMIT = "form_submit"
    FORM_ABANDON = "form_abandon"


FIELD_EVENTS = frozenset({EventType.FIELD_FOCUS, EventType.FIELD_BLUR, EventType.FIELD_ERROR})
STEP_EVENTS = FIELD_EVENTS | {EventType.STEP_VIEW, EventType.STEP_COMPLETE}


class DeviceClass(enum.StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"
    OTHER = "other"


class IdentityKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    DEVICE = "device"
    BANK_ACCOUNT = "bank_account"


class EventContext(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    utm_source: Annotated[str, _TEXT] | None = None
    utm_medium: Annotated[str, _TEXT] | None = None
    utm_campaign: Annotated[str, _TEXT] | None = None
    referrer: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    device_class: DeviceClass | None = None


class IdentityHashes(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Identity hints, only ever as keyed hashes (``ff_shared.tracking.identity``)."""

    email: KeyedHash | None = None
    phone: KeyedHash | None = None
    device: KeyedHash | None = None
    bank_account: KeyedHash | None = None

    def items(self) -> list[tuple[IdentityKind, str]]:
        return [
            (kind, value)
            for kind in IdentityKind
            if (value := getattr(self, kind.value)) is not None
        ]


class TrackerEvent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One event as the front end's tracker sends it (schema version 1)."""

    schema_version: int = SCHEMA_VERSION
    event_id: Id
    session_id: Id
    anonymous_id: Id
    type: EventType
    form: Name
    step: Name | None = None
    field: Name | None = None
    error_code: Name | None = None
    client_time: Annotated[datetime, msgspec.Meta(tz=True)]
    environment: Name | None = None
    context: EventContext | None = None
    identity_hashes: IdentityHashes | None = None
    application_id: Id | None = None


class StampedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An accepted event: what goes on the queue and, one per line, into the S3 lake.

    Decoding ignores unknown fields so a newer producer never poisons an older processor.
    """

    schema_version: int
    event_id: str
    session_id: str
    anonymous_id: str
    type: EventType
    form: str
    step: str | None = None
    field: str | None = None
    error_code: str | None = None
    client_time: datetime
    received_at: datetime
    environment: str
    context: EventContext | None = None
    identity_hashes: IdentityHashes | None = None
    application_id: str | None = None


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


def sanitise_referrer(referrer: str | None) -> str | None:
    """Keep scheme, host and path: query strings and fragments can carry personal data."""
    if referrer is None:
        return None
    return referrer.split("#", 1)[0].split("?", 1)[0] or None


def referrer_host(referrer: str | None) -> str | None:
    if not referrer or "://" not in referrer:
        return None
    host = referrer.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
    return host.removeprefix("www.") or None


def traffic_source(context: EventContext | None) -> str:
    """``utm_source``, else the referring host, else ``direct``."""
    if context is None:
        return "direct"
    if context.utm_source:
        return context.utm_source.strip().lower()
    return referrer_host(context.referrer) or "direct"


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


def step_index(form: str, step: str | None) -> int:
    """Position of ``step`` in ``form`` (0-based); -1 for no step or an unknown one."""
    steps = FORMS.get(form, ())
    return steps.index(step) if step in steps else -1


class SessionDelta(msgspec.Struct, kw_only=True):
    """A session's aggregate, or the contribution of some of its events: both merge alike."""

    session_id: str
    origin_at: datetime
    origin_event_id: str
    environment: str
    form: str
    anonymous_id: str
    first_seen: datetime
    last_seen: datetime
    events: int
    furthest_step_index: int
    submitted_at: datetime | None = None
    abandoned_at: datetime | None = None
    application_at: datetime | None = None
    application_event_id: str | None = None
    application_id: str | None = None
    context_at: datetime | None = None
    context_event_id: str | None = None
    source: str = "direct"
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    referrer_host: str | None = None
    device: str | None = None


class StepDelta(msgspec.Struct, kw_only=True):
    session_id: str
    step: str
    step_index: int
    first_at: datetime
    last_at: datetime
    events: int
    completed_at: datetime | None = None


class BatchDelta(msgspec.Struct, kw_only=True):
    """Everything a set of events changes, keyed so that applying it is a merge."""

    sessions: dict[str, SessionDelta] = msgspec.field(default_factory=dict)
    steps: dict[tuple[str, str], StepDelta] = msgspec.field(default_factory=dict)
    field_errors: dict[tuple[str, str, str, str], int] = msgspec.field(default_factory=dict)
    identities: dict[tuple[str, str, str], datetime] = msgspec.field(default_factory=dict)


def _least(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _greatest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(
    a_at: datetime | None, a_id: str | None, b_at: datetime | None, b_id: str | None
) -> bool:
    """Whether (b_at, b_id) comes before (a_at, a_id); a missing one never does."""
    if b_at is None or b_id is None:
        return False
    if a_at is None or a_id is None:
        return True
    return (b_at, b_id) < (a_at, a_id)


def merge_session(a: SessionDelta, b: SessionDelta) -> SessionDelta:
    """Combine two aggregates of one session; order of arguments does not matter."""
    origin = b if _earlier(a.origin_at, a.origin_event_id, b.origin_at, b.origin_event_id) else a
    ctx = b if _earlier(a.context_at, a.context_event_id, b.context_at, b.context_event_id) else a
    app_b = _earlier(
        a.application_at, a.application_event_id, b.application_at, b.application_event_id
    )
    app = b if app_b else a
    first_seen = min(a.first_seen, b.first_seen)
    last_seen = max(a.last_seen, b.last_seen)
    return SessionDelta(
        session_id=a.session_id,
        origin_at=origin.origin_at,
        origin_event_id=origin.origin_event_id,
        environment=origin.environment,
        form=origin.form,
        anonymous_id=origin.anonymous_id,
        first_seen=first_seen,
        last_seen=last_seen,
        events=a.events + b.events,
        furthest_step_index=max(a.furthest_step_index, b.furthest_step_index),
        submitted_at=_least(a.submitted_at, b.submitted_at),
        abandoned_at=_greatest(a.abandoned_at, b.abandoned_at),
        application_at=app.application_at,
        application_event_id=app.application_event_id,
        application_id=app.application_id,
        context_at=ctx.context_at,
        context_event_id=ctx.context_event_id,
        source=ctx.source,
        utm_source=ctx.utm_source,
        utm_medium=ctx.utm_medium,
        utm_campaign=ctx.utm_campaign,
        referrer_host=ctx.referrer_host,
        device=ctx.device,
    )


def merge_step(a: StepDelta, b: StepDelta) -> StepDelta:
    return StepDelta(
        session_id=a.session_id,
        step=a.step,
        step_index=a.step_index,
        first_at=min(a.first_at, b.first_at),
        last_at=max(a.last_at, b.last_at),
        events=a.events + b.events,
        completed_at=_least(a.completed_at, b.completed_at),
    )


def session_delta(event: StampedEvent) -> SessionDelta:
    at = event.client_time
    ctx = event.context
    has_app = event.application_id is not None
    return SessionDelta(
        session_id=event.session_id,
        origin_at=at,
        origin_event_id=event.event_id,
        environment=event.environment,
        form=event.form,
        anonymous_id=event.anonymous_id,
        first_seen=at,
        last_seen=at,
        events=1,
        furthest_step_index=step_index(event.form, event.step),
        submitted_at=at if event.type is EventType.FORM_SUBMIT else None,
        abandoned_at=at if event.type is EventType.FORM_ABANDON else None,
        application_at=at if has_app else None,
        application_event_id=event.event_id if has_app else None,
        application_id=event.application_id,
        context_at=at if ctx is not None else None,
        context_event_id=event.event_id if ctx is not None else None,
        source=traffic_source(ctx),
        utm_source=ctx.utm_source if ctx else None,
        utm_medium=ctx.utm_medium if ctx else None,
        utm_campaign=ctx.utm_campaign if ctx else None,
        referrer_host=referrer_host(ctx.referrer) if ctx else None,
        device=ctx.device_class.value if ctx and ctx.device_class else None,
    )


def fold(events: Iterable[StampedEvent], into: BatchDelta | None = None) -> BatchDelta:
    """Fold events into a delta (or an existing aggregate): sessionisation in one pass."""
    delta = into if into is not None else BatchDelta()
    for event in events:
        sid = event.session_id
        one = session_delta(event)
        current = delta.sessions.get(sid)
        delta.sessions[sid] = one if current is None else merge_session(current, one)
        if event.step is not None:
            at = event.client_time
            step = StepDelta(
                session_id=sid,
                step=event.step,
                step_index=step_index(event.form, event.step),
                first_at=at,
                last_at=at,
                events=1,
                completed_at=at if event.type is EventType.STEP_COMPLETE else None,
            )
            skey = (sid, event.step)
            old = delta.steps.get(skey)
            delta.steps[skey] = step if old is None else merge_step(old, step)
            if event.type is EventType.FIELD_ERROR and event.field and event.error_code:
                fkey = (sid, event.step, event.field, event.error_code)
                delta.field_errors[fkey] = delta.field_errors.get(fkey, 0) + 1
        if event.identity_hashes is not None:
            for kind, value in event.identity_hashes.items():
                ikey = (sid, kind.value, value)
                seen = delta.identities.get(ikey)
                delta.identities[ikey] = (
                    event.client_time if seen is None else min(seen, event.client_time)
                )
    return delta


def merge_deltas(a: BatchDelta, b: BatchDelta) -> BatchDelta:
    """Combine two deltas (what applying both to the store does)."""
    out = BatchDelta(
        sessions=dict(a.sessions),
        steps=dict(a.steps),
        field_errors=dict(a.field_errors),
        identities=dict(a.identities),
    )
    for sid, s in b.sessions.items():
        out.sessions[sid] = merge_session(out.sessions[sid], s) if sid in out.sessions else s
    for skey, st in b.steps.items():
        out.steps[skey] = merge_step(out.steps[skey], st) if skey in out.steps else st
    for fkey, n in b.field_errors.items():
        out.field_errors[fkey] = out.field_errors.get(fkey, 0) + n
    for ikey, at in b.identities.items():
        out.identities[ikey] = min(out.identities[ikey], at) if ikey in out.identities else at
    return out


def step_names(form: str) -> tuple[str, ...]:
    return FORMS.get(form, ())


def stages(form: str) -> tuple[str, ...]:
    """The funnel's stages: any session, each step in order, then submission."""
    return (START, *step_names(form), SUBMITTED)


def lake_fields() -> tuple[str, ...]:
    """The event fields every consumer of the lake reads: the Glue table's columns."""
    return tuple(f.name for f in msgspec.structs.fields(StampedEvent))


def describe_rejections(rejected: Sequence[Rejection]) -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for r in rejected:
        counts[r.reason] = counts.get(r.reason, 0) + 1
    return counts
