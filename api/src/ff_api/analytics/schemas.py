"""Staff analytics bodies: tables plus chart-ready series (``labels`` and one dataset per
breakdown group) for the staff portal."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from ff_shared.domain.funnel import DuplicateCluster, FunnelStep


class Dataset(msgspec.Struct, kw_only=True):
    label: str
    data: list[float | None]


class Series(msgspec.Struct, kw_only=True):
    """Chart-ready: one label per stage, one dataset per group."""

    labels: list[str]
    sessions: list[Dataset]
    conversion_from_start: list[Dataset]


class FunnelGroup(msgspec.Struct, kw_only=True):
    key: str
    sessions: int
    submitted: int
    overall_conversion: float | None
    steps: list[FunnelStep]


class FunnelView(msgspec.Struct, kw_only=True):
    form: str
    environment: str
    date_from: date = msgspec.field(name="from")
    date_to: date = msgspec.field(name="to")
    window_days: int
    breakdown: str
    sessions: int
    submitted: int
    overall_conversion: float | None
    steps: list[FunnelStep]
    groups: list[FunnelGroup]
    """One funnel per source or device when ``breakdown`` asks for it; empty otherwise."""
    series: Series


class DuplicatesView(msgspec.Struct, kw_only=True):
    environment: str | None
    date_from: date | None = msgspec.field(name="from")
    date_to: date | None = msgspec.field(name="to")
    window_days: int
    application_id: str | None
    clusters: list[DuplicateCluster]
    applications: int
    """Applications that are in some cluster."""


class ExtractView(msgspec.Struct, kw_only=True):
    environment: str
    day: date
    kind: str
    rows: int
    bytes: int
    created_at: datetime
    key: str
    download_url: str
    expires_in_seconds: int


class ExtractPage(msgspec.Struct, kw_only=True):
    items: list[ExtractView]
