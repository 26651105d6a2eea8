"""The tracker's settings turned into what ingestion and the processor need."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from ff_shared.domain.tracking.batches import BatchLimits
from ff_shared.errors import SettingsError
from ff_shared.settings import TrackerSettings


class IngestConfig(msgspec.Struct, frozen=True, kw_only=True):
    queues: dict[str, str]
    """Environment name to its FIFO queue URL."""
    default_environment: str
    limits: BatchLimits


def parse_queues(spec: str) -> dict[str, str]:
    """``prod=https://...,staging=https://...`` to a map; a malformed entry is a settings error."""
    queues: dict[str, str] = {}
    for entry in (e.strip() for e in spec.split(",")):
        if not entry:
            continue
        name, sep, url = entry.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise SettingsError([f"FF_TRACKER_QUEUES entry {entry!r} is not name=url"])
        if not url.strip().endswith(".fifo"):
            raise SettingsError([f"FF_TRACKER_QUEUES queue of {name.strip()!r} is not FIFO"])
        queues[name.strip()] = url.strip()
    return queues


def format_queues(queues: dict[str, str]) -> str:
    return ",".join(f"{name}={url}" for name, url in queues.items())


def batch_limits(settings: TrackerSettings) -> BatchLimits:
    return BatchLimits(
        max_events=settings.max_batch_events,
        max_event_bytes=settings.max_event_bytes,
        max_future_skew=timedelta(seconds=settings.max_future_skew_seconds),
        max_past_age=timedelta(seconds=settings.max_past_age_seconds),
    )


def ingest_config(settings: TrackerSettings) -> IngestConfig:
    return IngestConfig(
        queues=parse_queues(settings.queues),
        default_environment=settings.default_environment,
        limits=batch_limits(settings),
    )
