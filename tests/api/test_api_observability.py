"""The API's metrics (`/metrics`, per route template) and traces (OTLP to a collector when one
is configured; the request id is the trace id)."""

from __future__ import annotations

import asyncio
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.fixtures.otlp import OtlpReceiver

from ff_api.app import create_app
from ff_shared import observability
from ff_shared.settings import ObservabilitySettings, load_settings


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def requests_of(text: str, route: str, status: str) -> float:
    found = samples(text, "ff_http_requests_total")
    return found.get(
        (("method", "POST" if "quotes" in route else "GET"), ("route", route), ("status", status)),
        0.0,
    )


async def test_a_request_shows_up_in_metrics_under_its_route(
    client: AsyncTestClient[Litestar],
) -> None:
    before = (await client.get("/metrics")).text
    assert (await client.get("/health/live")).status_code == 200
    bad = await client.post("/v1/quotes", json={"amount_pence": "lots"})
    assert bad.status_code in (400, 422)

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    after = response.text
    live = requests_of(after, "/health/live", "200") - requests_of(before, "/health/live", "200")
    assert live == 1
    status = str(bad.status_code)
    assert requests_of(after, "/v1/quotes", status) - requests_of(before, "/v1/quotes", status) == 1
    durations = samples(after, "ff_http_request_duration_seconds_count")
    assert durations[(("method", "GET"), ("route", "/health/live"))] >= 1


async def test_with_a_collector_configured_request_spans_arrive_and_the_request_id_is_the_trace(
    base_env: dict[str, str],
) -> None:
    async with OtlpReceiver() as collector:
        settings = load_settings(
            {
                **base_env,
                "FF_OBSERVABILITY_OTLP_ENDPOINT": collector.url,
                "FF_OBSERVABILITY_SERVICE_NAME": "api",
            }
        )
        try:
            async with AsyncTestClient(app=create_app(settings)) as traced:
                response = await traced.get("/health/live")
                caller = await traced.get(
                    "/health/live",
                    headers={
                        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                    },
                )
            await asyncio.to_thread(observability.shutdown_tracing)
        finally:
            observability.shutdown_tracing()

    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert caller.headers["x-request-id"] == "0af7651916cd43dd8448eb211c80319c"
    assert collector.services == {"api"}
    server_spans = [s for s in collector.spans if s.kind == s.SPAN_KIND_SERVER]
    trace_ids = {s.trace_id.hex() for s in server_spans}
    assert request_id in trace_ids
    assert "0af7651916cd43dd8448eb211c80319c" in trace_ids
    assert any("/health/live" in s.name for s in server_spans)


def test_without_a_collector_nothing_is_traced() -> None:
    assert observability.configure_tracing(ObservabilitySettings()) is None
    assert not observability.tracer().start_span("unexported").is_recording()
