"""The versioned event schema: what the tracker sends, what the platform stamps on it, and the
forms and steps it reports on."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

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


class EventContext(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    utm_source: Annotated[str, _TEXT] | None = None
    utm_medium: Annotated[str, _TEXT] | None = None
    utm_campaign: Annotated[str, _TEXT] | None = None
    referrer: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    device_class: DeviceClass | None = None


class IdentityHashes(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False
):
    """Identity hints, only ever as keyed hashes (``ff_shared.tracking.identity``)."""

    email: KeyedHash | None = None
    phone: KeyedHash | None = None
    device: KeyedHash | None = None
    bank_account: KeyedHash | None = None

    def items(self) -> list[tuple[IdentityKind, str]]:
        return [
            (kind, value)
            for kind, name in _IDENTITY_FIELDS
            if (value := getattr(self, name)) is not None
        ]


_IDENTITY_FIELDS = tuple((kind, kind.value) for kind in IdentityKind)


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


class StampedEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An accepted event: what goes on the queue and, one per line, into the S3 lake.

    Decoding ignores unknown fields so a newer producer never poisons an older processor. Its
    fields are scalars and Structs without containers, so it can hold no reference cycle and is
    not tracked by the garbage collector (a batch of thousands costs no collections).
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


def step_index(form: str, step: str | None) -> int:
    """Position of ``step`` in ``form`` (0-based); -1 for no step or an unknown one."""
    steps = FORMS.get(form, ())
    return steps.index(step) if step in steps else -1


def step_names(form: str) -> tuple[str, ...]:
    return FORMS.get(form, ())


def stages(form: str) -> tuple[str, ...]:
    """The funnel's stages: any session, each step in order, then submission."""
    return (START, *step_names(form), SUBMITTED)


def lake_fields() -> tuple[str, ...]:
    """The event fields every consumer of the lake reads: the Glue table's columns."""
    return tuple(f.name for f in msgspec.structs.fields(StampedEvent))
