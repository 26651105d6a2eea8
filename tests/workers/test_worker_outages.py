"""Workers ride out outages: the tracker-processor keeps running while its Redis is stopped and
takes jobs again once it is back; a job whose database does not answer is retried with backoff
rather than failed; a running job is handed back to the queue on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import arq
import asyncpg
import pytest
from arq.jobs import Job, JobStatus
from tests.fixtures.outages import Restartable

from ff_shared.settings import load_settings
from ff_shared.stores.redis.connection import close_redis, redis_client
from ff_standins.servers import free_port
from ff_workers.resilience import ResilientWorker, backoff, retry_on_outage
from ff_workers.runtime import build_worker, heartbeat_path
from ff_workers.tracker_processor.worker import WorkerSettings


async def _until(predicate: Any, what: str) -> None:
    """Wait for ``predicate()`` over a bounded number of looks (not a timed assertion)."""
    for _ in range(400):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def _finished(redis: Any, job_id: str, queue: str) -> bool:
    return await Job(job_id, redis, _queue_name=queue).status() == JobStatus.complete


async def test_the_tracker_processor_waits_out_a_redis_outage(
    tracker_env: dict[str, str], own_redis: Restartable, session_id: str
) -> None:
    env = {
        **tracker_env,
        "FF_REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/0",
        "FF_REDIS_OPERATION_TIMEOUT_SECONDS": "1",
        "FF_WORKER_RECONNECT_MAX_SECONDS": "0.2",
    }
    settings = load_settings(env)
    queue = settings.tracker.queue_name
    name = f"tracker-processor-outage-{session_id}"
    worker = build_worker(
        WorkerSettings, settings, name=name, poll_delay=0.05, handle_signals=False
    )
    assert isinstance(worker, ResilientWorker)
    running = asyncio.create_task(worker.async_run())
    redis = redis_client(settings.redis, queue_name=queue)
    try:
        await _until(lambda: asyncio.to_thread(heartbeat_path(name).exists), "worker started")
        before = await redis.enqueue_job("tracker_build_extracts", "not-a-day", _job_id="before")
        assert before is not None
        await _until(lambda: _finished(redis, "before", queue), "job before the outage ran")

        own_redis.stop()
        try:

            async def failing() -> bool:
                return worker.redis_failures >= 3

            await _until(failing, "the worker noticed the outage")
            assert not running.done()
        finally:
            own_redis.start()

        async def reconnected() -> bool:
            return worker.redis_failures == 0

        await _until(reconnected, "the worker reconnected")
        assert not running.done()
        after = await redis.enqueue_job("tracker_build_extracts", "not-a-day", _job_id="after")
        assert after is not None
        await _until(lambda: _finished(redis, "after", queue), "job after the outage ran")
        # The job of a bad day failed as a bug would: only outages become retries.
        with pytest.raises(ValueError, match="not-a-day"):
            await after.result(poll_delay=0.05)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()
        await close_redis(redis)


async def test_a_database_outage_in_a_job_is_a_retry_with_backoff() -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"

    async def job(ctx: dict[str, Any]) -> None:
        await asyncpg.connect(dsn, timeout=2)

    retried = retry_on_outage(job, cap_seconds=60)
    deferrals = []
    for job_try in (1, 2, 3, 6):
        with pytest.raises(arq.Retry) as caught:
            await retried({"job_try": job_try})
        deferrals.append(caught.value.defer_score)
    assert deferrals == [5_000, 10_000, 20_000, 60_000]
    assert backoff(1, first=0.5, cap=30) == 0.5


async def test_a_bug_in_a_job_is_not_retried() -> None:
    async def job(ctx: dict[str, Any]) -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await retry_on_outage(job, cap_seconds=60)({"job_try": 1})


async def test_sigterm_hands_a_running_job_back(
    tracker_env: dict[str, str], own_redis: Restartable, tmp_path: Path
) -> None:
    settings = load_settings(
        {
            **tracker_env,
            "FF_REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/0",
            "FF_WORKER_SHUTDOWN_GRACE_SECONDS": "1",
        }
    )
    queue = "ff:test:handback"
    started = asyncio.Event()

    async def slow(ctx: dict[str, Any]) -> str:
        started.set()
        await asyncio.sleep(60)
        return "done"

    class Slow:
        functions = [arq.func(slow, name="slow")]

    worker = build_worker(Slow, settings, queue_name=queue, poll_delay=0.05, handle_signals=False)
    assert worker._job_completion_wait == 1
    redis = redis_client(settings.redis, queue_name=queue)
    try:
        await redis.enqueue_job("slow", _job_id="slow-1")
        running = asyncio.create_task(worker.async_run())
        await asyncio.wait_for(started.wait(), 20)
        # What the SIGTERM handler does: stop taking jobs, wait the grace, cancel what runs.
        worker.handle_sig_wait_for_completion(15)
        await asyncio.gather(running, *worker.tasks.values(), return_exceptions=True)
        job = Job("slow-1", redis, _queue_name=queue)

        async def handed_back() -> bool:
            return await job.status() in {JobStatus.queued, JobStatus.deferred}

        # The cancelled job hands itself back: queued again, for the next worker to run.
        await _until(handed_back, "the running job was handed back")
        assert worker.jobs_retried == 1
        assert worker.jobs_failed == 0
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await worker.close()
        await redis.delete(queue)
        await close_redis(redis)
