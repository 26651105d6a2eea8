"""Staff analytics on a generated data set whose true funnel and duplicates are known.

The journeys go through the processor's core (lake then store) into the ``analysis``
environment, which no other test writes, so every number must match the generator's truth.
"""

from __future__ import annotations

import asyncio
import csv
import io
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import msgspec
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.workers import close_worker

from ff_shared.clock import now_utc
from ff_shared.domain.funnel import furthest_stage
from ff_shared.domain.tracking.events import FORMS, StampedEvent
from ff_shared.settings import Settings
from ff_shared.tracking.generator import FORM, Generated, TrueSession, generate
from ff_shared.tracking.sqs import QueuePair
from ff_workers.runtime import build_worker
from ff_workers.tracker_processor.processor import Processor
from ff_workers.tracker_processor.worker import WorkerSettings

Client = AsyncTestClient[Litestar]
ENV = "analysis"
END = now_utc()
DAYS = 6


@pytest.fixture(scope="module")
async def loaded(
    tracker_sqs: Any,
    tracker_s3: Any,
    tracker_pool: asyncpg.Pool,
    tracker_settings: Settings,
    tracker_queues: dict[str, QueuePair],
) -> Generated:
    data = generate(sessions=320, days=DAYS, end=END, seed=6606, environment=ENV)
    processor = Processor(
        sqs_client=tracker_sqs,
        s3_client=tracker_s3,
        pool=tracker_pool,
        settings=tracker_settings.tracker,
        queue_urls=[tracker_queues[ENV].queue_url],
    )
    received = now_utc()
    events = [
        msgspec.convert(
            {**e, "received_at": received, "schema_version": 1}, StampedEvent, strict=False
        )
        for e in data.events
    ]
    for start in range(0, len(events), 500):
        await processor.write(events[start : start + 500])
    # Delivered twice: counted once.
    await processor.write(events[:300])
    return data


@pytest.fixture(scope="module")
async def analyst(staff_token: TokenFactory) -> dict[str, str]:
    return bearer(await staff_token("analyst"))


def _query(**extra: Any) -> dict[str, Any]:
    return {
        "form": FORM,
        "from": (END - timedelta(days=DAYS)).date().isoformat(),
        "to": END.date().isoformat(),
        "environment": ENV,
        **extra,
    }


def _reach(data: Generated, window: timedelta, key: Any = None) -> dict[str, list[int]]:
    names = ("start", *FORMS[FORM], "submitted")
    groups: dict[str, list[int]] = {}
    for s in data.sessions:
        group = "all" if key is None else key(s)
        stage = furthest_stage(
            FORM,
            started=s.started,
            step_first_at=s.step_first_at,
            submitted_at=s.submitted_at,
            window=window,
        )
        counts = groups.setdefault(group, [0] * len(names))
        for k in range(stage + 1):
            counts[k] += 1
    return groups


def _median_seconds(data: Generated, step: str, window: timedelta) -> float:
    steps = FORMS[FORM]
    values: list[float] = []
    for s in data.sessions:
        cutoff = s.started + window
        first = s.step_first_at.get(step)
        if first is None or first > cutoff:
            continue
        later = [
            at
            for name, at in s.step_first_at.items()
            if steps.index(name) > steps.index(step) and at <= cutoff
        ]
        submitted = s.submitted_at if s.submitted_at and s.submitted_at <= cutoff else None
        end = min(later) if later else submitted or s.step_last_at[step]
        values.append(max(0.0, (end - first).total_seconds()))
    return statistics.median(values)


@pytest.mark.parametrize("window_days", [30, 1])
async def test_the_funnel_matches_the_generated_truth(
    tracker_client: Client, analyst: dict[str, str], loaded: Generated, window_days: int
) -> None:
    window = timedelta(days=window_days)
    response = await tracker_client.get(
        "/v1/staff/analytics/funnel", params=_query(window_days=window_days), headers=analyst
    )
    assert response.status_code == 200, response.text
    body = response.json()
    truth = _reach(loaded, window)["all"]
    assert [s["sessions"] for s in body["steps"]] == truth
    assert body["sessions"] == len(loaded.sessions)
    assert body["submitted"] == truth[-1]
    assert body["overall_conversion"] == round(truth[-1] / truth[0], 4)
    for k, step in enumerate(body["steps"]):
        if k:
            assert step["conversion_from_previous"] == round(truth[k] / truth[k - 1], 4)
        following = truth[k + 1] if k + 1 < len(truth) else truth[k]
        assert step["drop_off"] == truth[k] - following
    for step in body["steps"][1:-1]:
        assert step["median_seconds_in_step"] == pytest.approx(
            _median_seconds(loaded, step["step"], window), abs=0.002
        )
    assert body["series"]["labels"] == [s["step"] for s in body["steps"]]
    assert body["series"]["sessions"] == [{"label": "all", "data": truth}]


async def test_the_window_decides_who_converted(
    tracker_client: Client, analyst: dict[str, str], loaded: Generated
) -> None:
    late = [
        s
        for s in loaded.sessions
        if s.submitted_at is not None and s.submitted_at - s.started > timedelta(days=1)
    ]
    assert late, "the generator makes some applicants come back days later"
    wide, narrow = [
        (
            await tracker_client.get(
                "/v1/staff/analytics/funnel", params=_query(window_days=w), headers=analyst
            )
        ).json()
        for w in (30, 1)
    ]
    assert wide["submitted"] - narrow["submitted"] == len(late)


@pytest.mark.parametrize("breakdown", ["source", "device"])
async def test_the_funnel_breaks_down_by_source_and_device(
    tracker_client: Client, analyst: dict[str, str], loaded: Generated, breakdown: str
) -> None:
    response = await tracker_client.get(
        "/v1/staff/analytics/funnel", params=_query(breakdown=breakdown), headers=analyst
    )
    body = response.json()

    def key(s: TrueSession) -> str:
        return s.source if breakdown == "source" else s.device

    truth = _reach(loaded, timedelta(days=30), key)
    assert {g["key"]: [s["sessions"] for s in g["steps"]] for g in body["groups"]} == truth
    assert {d["label"] for d in body["series"]["sessions"]} == set(truth)
    assert sum(g["sessions"] for g in body["groups"]) == body["sessions"]


async def test_the_fields_with_most_errors_are_named_per_step(
    tracker_client: Client, analyst: dict[str, str], loaded: Generated
) -> None:
    body = (
        await tracker_client.get("/v1/staff/analytics/funnel", params=_query(), headers=analyst)
    ).json()
    truth: dict[str, list[tuple[str, str, int]]] = {}
    for key, n in loaded.truth_field_errors().items():
        step, field, code = key.split("|")
        truth.setdefault(step, []).append((field, code, n))
    for step in body["steps"]:
        expected = sorted(truth.get(step["step"], []), key=lambda t: (-t[2], t[0], t[1]))[:5]
        got = [(e["field"], e["error_code"], e["errors"]) for e in step["top_field_errors"]]
        assert got == expected


async def test_duplicate_applications_form_the_true_clusters(
    tracker_client: Client, analyst: dict[str, str], loaded: Generated
) -> None:
    truth = loaded.truth_clusters()
    assert len(truth) >= 3
    response = await tracker_client.get(
        "/v1/staff/analytics/duplicates", params=_query(), headers=analyst
    )
    assert response.status_code == 200, response.text
    clusters = response.json()["clusters"]
    found = sorted(({m["application_id"] for m in c["applications"]} for c in clusters), key=min)
    assert found == truth
    assert all(
        {s["kind"] for s in c["signals"]} >= {"device"} and c["signals"][0]["hash_prefix"]
        for c in clusters
    )
    one = sorted(truth[0])[-1]
    mine = await tracker_client.get(
        "/v1/staff/analytics/duplicates", params={"application_id": one}, headers=analyst
    )
    [cluster] = mine.json()["clusters"]
    assert {m["application_id"] for m in cluster["applications"]} == truth[0]
    single = next(
        s.application_id
        for s in loaded.sessions
        if s.application_id and not any(s.application_id in c for c in truth)
    )
    alone = await tracker_client.get(
        "/v1/staff/analytics/duplicates", params={"application_id": single}, headers=analyst
    )
    assert alone.json()["clusters"] == []


@pytest.mark.parametrize(
    ("roles", "status"),
    [(("analyst",), 200), (("admin",), 200), (("underwriter",), 403), (("operations",), 403)],
)
async def test_analytics_are_for_analysts_and_admins(
    tracker_client: Client, staff_token: TokenFactory, roles: tuple[str, ...], status: int
) -> None:
    headers = bearer(await staff_token(*roles))
    for path in ("funnel", "duplicates", "extracts"):
        response = await tracker_client.get(
            f"/v1/staff/analytics/{path}", params={"environment": ENV}, headers=headers
        )
        assert response.status_code == status, (path, response.text)
    anonymous = await tracker_client.get("/v1/staff/analytics/funnel")
    assert anonymous.status_code == 401


async def test_bad_analytics_queries_are_refused(
    tracker_client: Client, analyst: dict[str, str]
) -> None:
    cases = [
        ({"form": "mortgage"}, "query.form"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "query.from"),
        ({"environment": "qa"}, "query.environment"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "query.to"),
        # The default period reaches back from `to`: no date arithmetic may leave the calendar.
        ({"to": "0001-01-05"}, "query.to"),
        ({"from": "0001-01-01", "to": "0001-01-05"}, "query.from"),
        ({"from": "9999-12-01"}, "query.from"),
    ]
    for params, path in cases:
        response = await tracker_client.get(
            "/v1/staff/analytics/funnel", params=params, headers=analyst
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["path"] == path
    wrong = await tracker_client.get(
        "/v1/staff/analytics/funnel", params={"breakdown": "weather"}, headers=analyst
    )
    assert wrong.status_code in (400, 422)


async def test_the_cron_job_writes_daily_extracts_listed_with_download_links(
    tracker_client: Client,
    analyst: dict[str, str],
    loaded: Generated,
    tracker_settings: Settings,
    tracker_s3: Any,
) -> None:
    day = (END - timedelta(days=2)).date()
    redis = await create_pool(RedisSettings.from_dsn(tracker_settings.redis.url))
    try:
        await redis.enqueue_job(
            "tracker_build_extracts",
            day.isoformat(),
            ENV,
            _queue_name=tracker_settings.tracker.queue_name,
        )
    finally:
        await redis.aclose()
    worker = build_worker(
        WorkerSettings, tracker_settings, burst=True, poll_delay=0.05, handle_signals=False
    )
    try:
        await asyncio.wait_for(worker.async_run(), timeout=120)
    finally:
        await close_worker(worker)
    assert worker.jobs_complete >= 1
    assert worker.jobs_failed == 0
    response = await tracker_client.get(
        "/v1/staff/analytics/extracts", params={"environment": ENV}, headers=analyst
    )
    assert response.status_code == 200, response.text
    items = {i["kind"]: i for i in response.json()["items"] if i["day"] == day.isoformat()}
    assert set(items) == {"sessions", "funnel_by_day", "duplicates"}
    started = datetime(day.year, day.month, day.day, tzinfo=UTC)
    on_day = [s for s in loaded.sessions if started <= s.started < started + timedelta(days=1)]
    assert items["sessions"]["rows"] == len(on_day)
    async with (
        aiohttp.ClientSession() as http,
        http.get(items["sessions"]["download_url"]) as download,
    ):
        assert download.status == 200
        text = await download.text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["session_id"] for r in rows} == {s.session_id for s in on_day}
    assert "@" not in text
    funnel_obj = await tracker_s3.get_object(
        Bucket=tracker_settings.tracker.bucket, Key=items["funnel_by_day"]["key"]
    )
    funnel_rows = list(csv.DictReader(io.StringIO((await funnel_obj["Body"].read()).decode())))
    starts = sum(int(r["sessions"]) for r in funnel_rows if r["stage"] == "start")
    assert starts == len(on_day)
