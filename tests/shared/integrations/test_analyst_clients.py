"""The Claude and Google Analytics clients against their simulators on real sockets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from google.analytics.data_v1beta import BatchRunReportsRequest, GetMetadataRequest
from google.analytics.data_v1beta.types import DateRange, Dimension, Metric, RunReportRequest
from tests.fixtures.analyst import API_KEY, AnalyticsSimulator, ClaudeSimulator

from ff_shared.integrations.claude.client import ClaudeClient, TextDelta, TurnDone
from ff_shared.integrations.errors import AuthenticationFailed, UpstreamThrottled
from ff_shared.integrations.google_analytics.client import GoogleAnalyticsClient, QuotaExhausted
from ff_shared.settings import AnalystSettings, GoogleAnalyticsSettings


class Refused(Exception):
    pass


def _refuse_emails(request: dict[str, Any]) -> None:
    if "@" in str(request):
        raise Refused


def claude(sim: ClaudeSimulator, **overrides: Any) -> ClaudeClient:
    settings = AnalystSettings(
        base_url=sim.url, api_key=API_KEY, retry_base_seconds=0.01, **overrides
    )
    return ClaudeClient(settings, guard=_refuse_emails)


async def test_a_turn_streams_text_then_the_whole_turn_with_tool_calls(
    claude_sim: ClaudeSimulator,
) -> None:
    client = claude(claude_sim)
    tool = {"name": "application_outcomes", "input_schema": {"type": "object"}}
    parts = [
        part
        async for part in client.turn(
            system="s", messages=[{"role": "user", "content": "approval?"}], tools=[tool]
        )
    ]
    await client.close()
    assert isinstance(parts[-1], TurnDone)
    assert "".join(p.text for p in parts if isinstance(p, TextDelta)) == (
        "Let me look at the figures."
    )
    assert parts[-1].stop_reason == "tool_use"
    tool_use = parts[-1].content[1]
    assert (tool_use["type"], tool_use["name"], tool_use["input"]) == (
        "tool_use",
        "application_outcomes",
        {"days": 30},
    )
    assert parts[-1].usage.input_tokens > 0


async def test_the_guard_stops_a_request_before_it_is_sent(claude_sim: ClaudeSimulator) -> None:
    client = claude(claude_sim)
    before = len(await claude_sim.bodies())
    with pytest.raises(Refused):
        async for _ in client.turn(
            system="s", messages=[{"role": "user", "content": "mail x@y.example"}], tools=[]
        ):
            pass
    await client.close()
    assert len(await claude_sim.bodies()) == before


async def test_rate_limits_past_the_retries_are_a_typed_error(
    claude_sim: ClaudeSimulator,
) -> None:
    client = claude(claude_sim, retries=1)
    await claude_sim.fault("rate_limit", times=2, path_contains="/v1/messages", retry_after="0")
    with pytest.raises(UpstreamThrottled):
        async for _ in client.turn(
            system="s", messages=[{"role": "user", "content": "approval?"}], tools=[]
        ):
            pass
    await client.close()


async def test_a_wrong_key_is_refused(claude_sim: ClaudeSimulator) -> None:
    client = ClaudeClient(
        AnalystSettings(base_url=claude_sim.url, api_key="wrong"), guard=_refuse_emails
    )
    with pytest.raises(AuthenticationFailed):
        async for _ in client.turn(
            system="s", messages=[{"role": "user", "content": "approval?"}], tools=[]
        ):
            pass
    await client.close()


def ga(sim: AnalyticsSimulator) -> GoogleAnalyticsClient:
    return GoogleAnalyticsClient(GoogleAnalyticsSettings(base_url=sim.url, timeout_seconds=3))


async def test_a_report_comes_back_typed_with_the_quota(ga_sim: AnalyticsSimulator) -> None:
    client = ga(ga_sim)
    end = date(2026, 11, 30)
    report = await client.run_report(
        start=end - timedelta(days=6),
        end=end,
        dimensions=["deviceCategory"],
        metrics=["sessions", "keyEvents"],
        order_by_metric="sessions",
    )
    client.close()
    assert [r.dimensions[0] for r in report.rows] == ["mobile", "desktop", "tablet"]
    assert all(r.metrics[0] > r.metrics[1] > 0 for r in report.rows)
    assert report.quota is not None
    assert report.quota.tokens_per_day is not None


async def test_quota_exhaustion_is_its_own_error(ga_sim: AnalyticsSimulator) -> None:
    client = ga(ga_sim)
    await ga_sim.quota(tokens_per_day=0)
    try:
        with pytest.raises(QuotaExhausted):
            await client.run_report(
                start=date(2026, 11, 1),
                end=date(2026, 11, 2),
                dimensions=["date"],
                metrics=["sessions"],
            )
    finally:
        await ga_sim.quota(tokens_per_day=200_000)
        client.close()


async def test_the_simulator_serves_batches_and_metadata_to_the_official_client(
    ga_sim: AnalyticsSimulator,
) -> None:
    raw = ga(ga_sim)._client
    request = RunReportRequest(
        date_ranges=[DateRange(start_date="2026-11-01", end_date="2026-11-07")],
        dimensions=[Dimension(name="sessionSource")],
        metrics=[Metric(name="sessions")],
    )
    batch = raw.batch_run_reports(
        BatchRunReportsRequest(property="properties/400000001", requests=[request, request])
    )
    assert len(batch.reports) == 2
    assert batch.reports[0].rows == batch.reports[1].rows
    metadata = raw.get_metadata(GetMetadataRequest(name="properties/400000001/metadata"))
    assert {"sessions", "keyEvents"} <= {m.api_name for m in metadata.metrics}
