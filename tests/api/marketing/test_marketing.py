"""Marketing reports over the API: GA4 Data API simulator on a real socket, the journey tracker
in PostgreSQL and the applications in MongoDB."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.analyst import AnalyticsSimulator
from tests.fixtures.staff import ApplicantFactory, StaffFactory, SubmitFactory

from ff_shared.clock import now_utc
from ff_standins.google_analytics.simulator import daily_rows

Client = AsyncTestClient[Litestar]
VISITS_PER_DAY = 400


def expected_sessions(days: int, source: str) -> int:
    end = now_utc().date()
    total = 0
    for back in range(days):
        day = end - timedelta(days=back)
        total += sum(m[0] for d, m in daily_rows(day, VISITS_PER_DAY) if d[1] == source)
    return total


async def test_sources_report_has_ga_figures_a_chart_and_the_quota(
    client: Client, staff_as: StaffFactory, ga_sim: AnalyticsSimulator
) -> None:
    analyst = await staff_as("analyst")
    response = await client.get("/v1/staff/marketing/sources", headers=analyst.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    table = body["report"]["table"]
    assert table["columns"][:3] == ["sessionSource", "sessionMedium", "sessionCampaignName"]
    google = next(r for r in table["rows"] if r[0] == "google")
    assert google[:3] == ["google", "cpc", "loans-q4"]
    assert google[3] == expected_sessions(30, "google")
    assert body["vega_lite"]["$schema"] == "https://vega.github.io/schema/vega-lite/v5.json"
    assert body["vega_lite"]["data"]["values"]
    assert body["quota"]["tokens_per_day_remaining"] > 0
    assert body["quota"]["low"] is False
    assert body["cached"] is False

    seq = await ga_sim.last_seq()
    again = await client.get("/v1/staff/marketing/sources", headers=analyst.headers)
    assert again.json()["cached"] is True
    assert again.json()["report"]["table"] == table
    assert await ga_sim.requests(after=seq) == []


async def test_trend_is_by_iso_day(client: Client, staff_as: StaffFactory) -> None:
    analyst = await staff_as("admin")
    start = (now_utc() - timedelta(days=6)).date()
    response = await client.get(
        "/v1/staff/marketing/trend",
        params={"from": start.isoformat(), "to": now_utc().date().isoformat()},
        headers=analyst.headers,
    )
    assert response.status_code == 200, response.text
    series = response.json()["report"]["series"][0]
    assert series["labels"] == [(start + timedelta(days=i)).isoformat() for i in range(7)]
    assert all(isinstance(v, int) and v > 0 for v in series["values"])


async def test_a_spent_quota_is_a_clear_problem_and_a_low_one_is_flagged(
    client: Client, staff_as: StaffFactory, ga_sim: AnalyticsSimulator
) -> None:
    analyst = await staff_as("analyst")
    try:
        await ga_sim.quota(tokens_per_day=95)
        low = await client.get(
            "/v1/staff/marketing/devices", params={"from": "2026-01-01"}, headers=analyst.headers
        )
        assert low.status_code == 200, low.text
        assert low.json()["quota"]["low"] is True
        await ga_sim.quota(tokens_per_day=0)
        refused = await client.get(
            "/v1/staff/marketing/landing_pages",
            params={"from": "2026-01-02"},
            headers=analyst.headers,
        )
    finally:
        await ga_sim.quota(tokens_per_day=200_000)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "analytics_quota_exhausted"


async def test_ga_outage_is_a_503_naming_it(
    client: Client, staff_as: StaffFactory, ga_sim: AnalyticsSimulator
) -> None:
    analyst = await staff_as("analyst")
    await ga_sim.fault("status", status=503, times=None, path_contains="runReport")
    try:
        response = await client.get(
            "/v1/staff/marketing/devices", params={"from": "2026-02-01"}, headers=analyst.headers
        )
    finally:
        await ga_sim.clear_faults()
    assert response.status_code == 503
    assert response.json()["code"] == "dependency_unavailable"
    assert "google_analytics" in response.json()["detail"]


async def _seed_sessions(
    pool: asyncpg.Pool, source: str, application_ids: list[str], extra_started: int
) -> None:
    now = datetime.now(UTC) - timedelta(hours=1)
    rows = []
    for index in range(len(application_ids) + extra_started):
        session_id = f"s-{uuid.uuid4().hex}"
        app_id = application_ids[index] if index < len(application_ids) else None
        rows.append((session_id, app_id))
    async with pool.acquire() as conn:
        for session_id, app_id in rows:
            await conn.execute(
                """
                insert into tracker.sessions (session_id, origin_at, origin_event_id,
                    environment, form, anonymous_id, first_seen, last_seen, events,
                    furthest_step_index, submitted_at, application_id, source, utm_source)
                values ($1, $2, $1, 'production', 'application', $1, $2, $2, 2, 0, $3, $4, $5, $5)
                """,
                session_id,
                now,
                now if app_id else None,
                app_id,
                source,
            )
            await conn.execute(
                """
                insert into tracker.session_steps (session_id, step, step_index, first_at,
                    last_at, events) values ($1, 'loan', 0, $2, $2, 1)
                """,
                session_id,
                now,
            )


async def test_paths_join_visits_journeys_and_outcomes_by_source_and_suppress_small_groups(
    tracker_client: Client,
    tracker_pool: asyncpg.Pool,
    staff_as: StaffFactory,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    source = f"partner{uuid.uuid4().hex[:6]}"
    application_ids = []
    for _ in range(5):
        who = await applicant()
        application_ids.append((await submit_application(who))["id"])
    await _seed_sessions(tracker_pool, source, application_ids, extra_started=2)
    analyst = await staff_as("analyst")
    response = await tracker_client.get(
        "/v1/staff/marketing/paths", params={"from": "2026-03-01"}, headers=analyst.headers
    )
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    assert report["table"]["columns"] == [
        "source",
        "visits",
        "form starts",
        "submitted",
        "approved",
        "funded",
    ]
    rows: dict[str, list[Any]] = {r[0]: r[1:] for r in report["table"]["rows"]}
    # GA never saw the partner: no visits; 7 journeys started, 5 submitted, none decided yet.
    assert rows[source] == [None, 7, 5, None, None]
    assert rows["google"][0] > 0
    assert report["suppressed"] >= 1


async def test_marketing_is_for_analysts_and_admins(client: Client, staff_as: StaffFactory) -> None:
    for role, status in (("underwriter", 403), ("operations", 403), ("analyst", 200)):
        who = await staff_as(role)
        response = await client.get("/v1/staff/marketing/devices", headers=who.headers)
        assert response.status_code == status, (role, response.text)
