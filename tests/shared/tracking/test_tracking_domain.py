"""The event schema, batch validation, sessionisation, funnel maths and duplicate clustering."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from ff_shared.domain.funnel import IdentityLink, build_funnel, cluster_duplicates
from ff_shared.domain.tracking.batches import BatchLimits, validate_batch
from ff_shared.domain.tracking.events import IdentityKind, StampedEvent
from ff_shared.domain.tracking.sessions import BatchDelta, fold, fold_by_merging, merge_deltas
from ff_shared.tracking.generator import generate
from ff_shared.tracking.identity import identity_hash

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LIMITS = BatchLimits(max_events=10, max_event_bytes=1024)


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "evt-00000001",
        "session_id": "sess-0000001",
        "anonymous_id": "anon-000001",
        "type": "step_view",
        "form": "application",
        "step": "personal",
        "client_time": "2026-03-02T11:59:00Z",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def check(*events: dict[str, Any], envs: tuple[str, ...] = ("production", "staging")) -> Any:
    return validate_batch(
        [msgspec.Raw(msgspec.json.encode(e)) for e in events],
        received_at=NOW,
        limits=LIMITS,
        environments=envs,
        default_environment="production",
    )


def test_one_bad_event_does_not_sink_the_batch() -> None:
    outcome = check(
        event(event_id="evt-good-0001"),
        event(event_id="evt-bad-00002", type="teleport"),
        event(event_id="evt-good-0003", step=None, type="page_view"),
    )
    assert [e.event_id for e in outcome.accepted] == ["evt-good-0001", "evt-good-0003"]
    assert outcome.accepted_indexes == [0, 2]
    [rejected] = outcome.rejected
    assert (rejected.index, rejected.event_id, rejected.reason) == (
        1,
        "evt-bad-00002",
        "invalid_event",
    )
    assert "events[1].type" in rejected.detail


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"client_time": "2026-03-02T12:30:00Z"}, "clock_skew"),
        ({"client_time": "2026-02-28T12:00:00Z"}, "clock_skew"),
        ({"client_time": "2026-03-02T11:59:00"}, "invalid_event"),
        ({"environment": "qa"}, "unknown_environment"),
        ({"step": "payslips"}, "unknown_step"),
        ({"form": "mortgage"}, "unknown_step"),
        ({"type": "field_error", "field": "email"}, "invalid_event"),
        ({"type": "field_focus"}, "invalid_event"),
        ({"identity_hashes": {"email": "jo@example.com"}}, "invalid_event"),
        ({"identity_hashes": {"email": "A" * 64}}, "invalid_event"),
        ({"surname": "Smith"}, "invalid_event"),
        ({"schema_version": 2}, "unsupported_version"),
        ({"context": {"utm_source": "x" * 900}}, "event_too_large"),
        ({"event_id": "short"}, "invalid_event"),
    ],
)
def test_an_event_is_refused_with_a_reason(overrides: dict[str, Any], reason: str) -> None:
    outcome = check(event(**overrides))
    assert outcome.accepted == []
    assert [r.reason for r in outcome.rejected] == [reason]


def test_accepted_events_are_stamped_routed_and_cleaned() -> None:
    outcome = check(
        event(
            environment="staging",
            context={
                "utm_source": "google",
                "referrer": "https://example.com/a?email=jo@example.com#x",
                "device_class": "mobile",
            },
            identity_hashes={"email": "a" * 64},
        ),
        event(event_id="evt-00000002"),
    )
    first, second = outcome.accepted
    assert first.received_at == NOW
    assert first.environment == "staging"
    assert second.environment == "production"
    assert first.context is not None
    assert first.context.referrer == "https://example.com/a"
    assert first.identity_hashes is not None
    assert first.identity_hashes.email == "a" * 64


def test_an_event_id_repeated_in_a_batch_is_accepted_once() -> None:
    outcome = check(event(), event())
    assert [e.event_id for e in outcome.accepted] == ["evt-00000001"]
    assert outcome.duplicates == ["evt-00000001"]


def test_identity_hashes_are_keyed_and_normalised() -> None:
    key = b"k1"
    assert identity_hash(key, IdentityKind.EMAIL, " Jo@Example.com ") == identity_hash(
        key, IdentityKind.EMAIL, "jo@example.com"
    )
    assert identity_hash(key, IdentityKind.PHONE, "+44 7700 900123") == identity_hash(
        key, IdentityKind.PHONE, "07700900123"
    )
    assert identity_hash(b"k2", IdentityKind.EMAIL, "jo@example.com") != identity_hash(
        key, IdentityKind.EMAIL, "jo@example.com"
    )


def _stamped(n_sessions: int, seed: int) -> list[StampedEvent]:
    data = generate(sessions=n_sessions, days=3, end=NOW, seed=seed)
    events: list[StampedEvent] = []
    limits = BatchLimits(max_events=100, max_past_age=timedelta(days=20))
    for s in data.sessions:
        outcome = validate_batch(
            [msgspec.Raw(msgspec.json.encode(e)) for e in s.events],
            received_at=NOW,
            limits=limits,
            environments=["production"],
            default_environment="production",
        )
        assert not outcome.rejected
        events += outcome.accepted
    return events


def test_sessions_do_not_depend_on_order_or_batch_boundaries() -> None:
    events = _stamped(40, seed=7)
    expected = fold(events)
    rng = random.Random(3)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        cuts = sorted(rng.sample(range(1, len(shuffled)), 6))
        parts = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
        merged = BatchDelta()
        for part in reversed(parts):
            merged = merge_deltas(merged, fold(part))
        assert merged == expected


def test_the_one_pass_fold_equals_merging_each_events_delta() -> None:
    """``fold`` keeps running aggregates instead of merging a delta per event (its definition,
    ``fold_by_merging``): the same sessions, steps, field errors and identities on shuffled
    generated journeys cut into batches of every size, with events sharing a time and ids
    repeated, and when folding into an existing aggregate."""
    events = _stamped(60, seed=11)
    assert any(e.context is not None for e in events)
    assert any(e.identity_hashes is not None for e in events)
    assert any(e.application_id is not None for e in events)
    rng = random.Random(5)
    same_time = [
        msgspec.structs.replace(e, client_time=events[0].client_time)
        for e in events
        if e.session_id == events[0].session_id
    ]
    for _ in range(5):
        shuffled = [*events, *same_time, *rng.sample(events, 30)]
        rng.shuffle(shuffled)
        for size in (1, 7, 100, len(shuffled)):
            for i in range(0, len(shuffled), size):
                part = shuffled[i : i + size]
                assert fold(part) == fold_by_merging(part)
        head, tail = shuffled[: len(shuffled) // 2], shuffled[len(shuffled) // 2 :]
        assert fold(tail, into=fold(head)) == fold_by_merging(tail, into=fold_by_merging(head))
    assert fold([]) == BatchDelta()


def test_a_session_keeps_its_first_touch_source_and_its_application() -> None:
    early = event(
        event_id="evt-a0000001",
        client_time="2026-03-02T11:00:00Z",
        context={"utm_source": "Google", "device_class": "desktop"},
        type="page_view",
        step=None,
    )
    late = event(
        event_id="evt-a0000002",
        client_time="2026-03-02T11:30:00Z",
        context={"referrer": "https://www.moneysavingexpert.com/x"},
        application_id="app-00000001",
        type="form_submit",
        step=None,
    )
    for order in ((early, late), (late, early)):
        session = fold(check(*order).accepted).sessions["sess-0000001"]
        assert session.source == "google"
        assert session.device == "desktop"
        assert session.application_id == "app-00000001"
        assert session.submitted_at == datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
        assert session.events == 2


def test_funnel_counts_each_session_up_to_its_furthest_stage() -> None:
    # start=0, loan=1 ... declarations=7, submitted=8
    funnel = build_funnel("application", {0: 10, 1: 20, 2: 10, 8: 60})
    reach = [(s.step, s.sessions, s.drop_off) for s in funnel.steps]
    assert reach[:3] == [("start", 100, 10), ("loan", 90, 20), ("personal", 70, 10)]
    assert reach[-1] == ("submitted", 60, 0)
    assert funnel.steps[1].conversion_from_previous == 0.9
    assert funnel.steps[2].conversion_from_previous == round(70 / 90, 4)
    assert funnel.overall_conversion == 0.6


def _link(app: str, kind: str, value: str, day: int) -> IdentityLink:
    return IdentityLink(
        application_id=app, kind=kind, hash=value * 64, seen_at=NOW + timedelta(days=day)
    )


def test_duplicates_cluster_transitively_within_the_window() -> None:
    links = [
        _link("app-a", "email", "a", 0),
        _link("app-b", "email", "a", 5),
        _link("app-b", "phone", "b", 5),
        _link("app-c", "phone", "b", 9),
        _link("app-d", "device", "c", 0),
        _link("app-e", "device", "c", 45),
        _link("app-f", "bank_account", "d", 1),
    ]
    [cluster] = cluster_duplicates(links, window=timedelta(days=30))
    assert [m.application_id for m in cluster.applications] == ["app-a", "app-b", "app-c"]
    assert {(s.kind, tuple(s.application_ids)) for s in cluster.signals} == {
        ("email", ("app-a", "app-b")),
        ("phone", ("app-b", "app-c")),
    }
    assert cluster.signals[0].hash_prefix == "a" * 12
    wide = cluster_duplicates(links, window=timedelta(days=60))
    assert [[m.application_id for m in c.applications] for c in wide] == [
        ["app-a", "app-b", "app-c"],
        ["app-d", "app-e"],
    ]
