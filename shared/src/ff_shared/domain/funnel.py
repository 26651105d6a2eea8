"""Funnel maths and duplicate-application clustering over tracked sessions.

A session's *furthest stage* within the conversion window decides where it counts: stage 0 is
any session, stages 1..n are the form's steps in order, stage n+1 is submission. A session counts
at every stage up to its furthest, so the funnel never rises.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import msgspec

from ff_shared.domain.tracking.events import stages, step_names


class FieldErrorCount(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    error_code: str
    errors: int
    sessions: int


class FunnelStep(msgspec.Struct, frozen=True, kw_only=True):
    step: str
    sessions: int
    conversion_from_previous: float | None
    conversion_from_start: float | None
    drop_off: int
    drop_off_rate: float | None
    median_seconds_in_step: float | None
    top_field_errors: list[FieldErrorCount]


class Funnel(msgspec.Struct, frozen=True, kw_only=True):
    steps: list[FunnelStep]
    overall_conversion: float | None
    sessions: int
    submitted: int


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def furthest_stage(
    form: str,
    *,
    started: datetime,
    step_first_at: Mapping[str, datetime],
    submitted_at: datetime | None,
    window: timedelta,
) -> int:
    """The furthest stage a session reached within ``window`` of its start."""
    steps = step_names(form)
    cutoff = started + window
    if submitted_at is not None and submitted_at <= cutoff:
        return len(steps) + 1
    reached = [steps.index(s) + 1 for s, at in step_first_at.items() if s in steps and at <= cutoff]
    return max(reached, default=0)


def build_funnel(
    form: str,
    furthest: Mapping[int, int],
    *,
    medians: Mapping[str, float | None] | None = None,
    field_errors: Mapping[str, Sequence[FieldErrorCount]] | None = None,
    top_errors: int = 5,
) -> Funnel:
    """``furthest`` maps a furthest-stage index to how many sessions stopped there."""
    names = stages(form)
    last = len(names) - 1
    at_or_beyond = [sum(n for idx, n in furthest.items() if idx >= k) for k in range(len(names))]
    steps: list[FunnelStep] = []
    for k, name in enumerate(names):
        reached = at_or_beyond[k]
        nxt = at_or_beyond[k + 1] if k < last else reached
        errors = sorted(
            (field_errors or {}).get(name, ()),
            key=lambda e: (-e.errors, e.field, e.error_code),
        )[:top_errors]
        steps.append(
            FunnelStep(
                step=name,
                sessions=reached,
                conversion_from_previous=_ratio(reached, at_or_beyond[k - 1]) if k else None,
                conversion_from_start=_ratio(reached, at_or_beyond[0]),
                drop_off=reached - nxt,
                drop_off_rate=_ratio(reached - nxt, reached),
                median_seconds_in_step=(medians or {}).get(name),
                top_field_errors=list(errors),
            )
        )
    return Funnel(
        steps=steps,
        overall_conversion=_ratio(at_or_beyond[last], at_or_beyond[0]),
        sessions=at_or_beyond[0],
        submitted=at_or_beyond[last],
    )


class IdentityLink(msgspec.Struct, frozen=True, kw_only=True):
    """An application seen with an identity hash."""

    application_id: str
    kind: str
    hash: str
    seen_at: datetime


class SharedSignal(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    hash_prefix: str
    application_ids: list[str]


class ClusterMember(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    first_seen: datetime


class DuplicateCluster(msgspec.Struct, frozen=True, kw_only=True):
    cluster_id: str
    applications: list[ClusterMember]
    signals: list[SharedSignal]


def cluster_duplicates(
    links: Iterable[IdentityLink], *, window: timedelta
) -> list[DuplicateCluster]:
    """Applications sharing any identity hash within ``window`` of each other, as clusters.

    Two applications are linked when they share a (kind, hash) and were seen within the window;
    clusters are the connected components, so A~B and B~C put A, B and C together.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_seen: dict[str, datetime] = {}
    by_signal: dict[tuple[str, str], dict[str, datetime]] = {}
    for link in links:
        parent.setdefault(link.application_id, link.application_id)
        seen = first_seen.get(link.application_id)
        first_seen[link.application_id] = link.seen_at if seen is None else min(seen, link.seen_at)
        apps = by_signal.setdefault((link.kind, link.hash), {})
        old = apps.get(link.application_id)
        apps[link.application_id] = link.seen_at if old is None else min(old, link.seen_at)
    linked_by: dict[tuple[str, str], set[str]] = {}
    for signal, apps in by_signal.items():
        ordered = sorted(apps.items(), key=lambda item: (item[1], item[0]))
        for (a, a_at), (b, b_at) in itertools.pairwise(ordered):
            if b_at - a_at <= window:
                union(a, b)
                linked_by.setdefault(signal, set()).update((a, b))
    members: dict[str, list[str]] = {}
    for app in parent:
        members.setdefault(find(app), []).append(app)
    clusters: list[DuplicateCluster] = []
    for root, group in members.items():
        if len(group) < 2:
            continue
        in_cluster = set(group)
        signals = [
            SharedSignal(kind=kind, hash_prefix=value[:12], application_ids=sorted(ids))
            for (kind, value), ids in sorted(linked_by.items())
            if ids & in_cluster
        ]
        clusters.append(
            DuplicateCluster(
                cluster_id=root,
                applications=[
                    ClusterMember(application_id=a, first_seen=first_seen[a])
                    for a in sorted(group, key=lambda a: (first_seen[a], a))
                ],
                signals=signals,
            )
        )
    return sorted(clusters, key=lambda c: (c.applications[0].first_seen, c.cluster_id))
