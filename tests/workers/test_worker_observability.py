"""Workers' metrics and traces: a job run counts under its worker and outcome, with its
duration; AWS calls count per service; a worker serves /metrics on its port (queue depth);
with a collector configured, job and AWS spans arrive there."""

from __future__ import annotations

import asyncio

import aiohttp
from prometheus_client import REGISTRY
from tests.fixtures.otlp import OtlpReceiver

from ff_shared import observability
from ff_shared.settings import load_settings
from ff_standins.servers import free_port
from ff_workers.runtime import build_worker, run_once
from ff_workers.tracker_processor.worker import WorkerSettings

WORKER = "tracker-processor"
JOB = "tracker:daily_extracts"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_job_run_counts_and_its_spans_reach_the_collector(
    tracker_env: dict[str, str],
) -> None:
    runs = value("ff_jobs_total", worker=WORKER, job=JOB, outcome="success")
    durations = value("ff_job_duration_seconds_count", worker=WORKER, job=JOB)
    s3_calls = value("ff_vendor_call_duration_seconds_count", vendor="aws.s3", outcome="ok")
    async with OtlpReceiver() as collector:
        settings = load_settings(
            {
                **tracker_env,
                "FF_OBSERVABILITY_OTLP_ENDPOINT": collector.url,
                "FF_OBSERVABILITY_SERVICE_NAME": WORKER,
            }
        )
        try:
            keys = await run_once(WorkerSettings, settings, JOB, worker_name=WORKER)
        finally:
            await asyncio.to_thread(observability.shutdown_tracing)

    assert keys
    assert value("ff_jobs_total", worker=WORKER, job=JOB, outcome="success") == runs + 1
    assert value("ff_job_duration_seconds_count", worker=WORKER, job=JOB) == durations + 1
    assert value(
        "ff_vendor_call_duration_seconds_count", vendor="aws.s3", outcome="ok"
    ) >= s3_calls + len(keys)
    assert collector.services == {WORKER}
    [job_span] = collector.named(f"job {JOB}")
    puts = collector.named("aws.s3.PutObject")
    assert len(puts) >= len(keys)
    assert {span.trace_id for span in puts} == {job_span.trace_id}
    assert {span.parent_span_id for span in puts} == {job_span.span_id}


async def test_a_failed_job_counts_as_a_failure(tracker_env: dict[str, str]) -> None:
    failures = value(
        "ff_jobs_total", worker=WORKER, job="tracker_build_extracts", outcome="failure"
    )
    worker_fn = observability.instrument_job(
        WORKER, "tracker_build_extracts", WorkerSettings.functions[0].coroutine
    )
    settings = load_settings(tracker_env)
    try:
        await worker_fn({"settings": settings, "processor": None}, "not-a-date")
    except ValueError:
        pass
    else:
        raise AssertionError("a bad day must fail the job")
    assert (
        value("ff_jobs_total", worker=WORKER, job="tracker_build_extracts", outcome="failure")
        == failures + 1
    )


async def test_a_worker_serves_its_metrics_with_its_queue_depth(
    tracker_env: dict[str, str], session_id: str
) -> None:
    port = free_port()
    settings = load_settings({**tracker_env, "FF_OBSERVABILITY_METRICS_PORT": str(port)})
    worker = build_worker(
        WorkerSettings,
        settings,
        name=f"{WORKER}-{session_id}",
        poll_delay=0.05,
        handle_signals=False,
    )
    running = asyncio.create_task(worker.async_run())
    try:
        text = ""
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                        text = await response.text()
                        content_type = response.headers["Content-Type"]
                    if f'ff_queue_depth{{queue="{settings.tracker.queue_name}"}}' in text:
                        break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()

    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert f'ff_queue_depth{{queue="{settings.tracker.queue_name}"}}' in text
    assert f'ff_queue_oldest_job_age_seconds{{queue="{settings.tracker.queue_name}"}}' in text
