"""A worker's heartbeat and ``ff health worker`` (the containers' health check): healthy while
the worker's event loop runs, unhealthy once it stops or stalls; `--cluster` also needs the
heartbeat cron job's Redis key. With the cron jobs handed to a scheduler, only the heartbeat
stays in the worker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis

from ff_shared.settings import load_settings
from ff_workers.runtime import build_worker, heartbeat_key, heartbeat_path
from ff_workers.tracker_processor.worker import WorkerSettings

FF = str(Path(sys.executable).parent / "ff")


def health(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FF, "health", *args],
        env={**os.environ, **env, "TMPDIR": tempfile.gettempdir()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def appears(path: Path) -> None:
    for _ in range(1200):
        if await asyncio.to_thread(path.exists):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


async def test_a_running_worker_is_healthy_and_a_stopped_or_stalled_one_is_not(
    tracker_env: dict[str, str], session_id: str, redis_url: str
) -> None:
    name = f"tracker-processor-{session_id}"
    settings = load_settings(tracker_env)
    path = heartbeat_path(name)
    path.unlink(missing_ok=True)
    worker = build_worker(
        WorkerSettings, settings, name=name, poll_delay=0.05, handle_signals=False
    )
    running = asyncio.create_task(worker.async_run())
    try:
        await appears(path)
        healthy = await asyncio.to_thread(health, tracker_env, "worker", name)
        assert healthy.returncode == 0, healthy.stderr
        assert f"healthy: {name}" in healthy.stdout
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()

    assert not path.exists()
    stopped = await asyncio.to_thread(health, tracker_env, "worker", name)
    assert stopped.returncode == 1
    assert "no heartbeat file" in stopped.stderr

    # A killed process leaves its file behind, going stale.
    path.touch()
    os.utime(path, (time.time() - 600, time.time() - 600))
    stale = await asyncio.to_thread(health, tracker_env, "worker", name)
    path.unlink()
    assert stale.returncode == 1
    assert "old" in stale.stderr


async def test_the_cluster_check_needs_the_heartbeat_jobs_redis_key(
    tracker_env: dict[str, str], session_id: str, redis_url: str
) -> None:
    name = f"obv-archiver-{session_id}"
    heartbeat_path(name).touch()
    redis = Redis.from_url(redis_url)
    try:
        await redis.delete(heartbeat_key(name))
        env = {**tracker_env, "FF_WORKER_NAME": name}
        missing = await asyncio.to_thread(health, env, "worker", "--cluster")
        assert missing.returncode == 1
        assert heartbeat_key(name) in missing.stderr

        await redis.set(heartbeat_key(name), "now", ex=60)
        alive = await asyncio.to_thread(health, env, "worker", "--cluster")
        assert alive.returncode == 0, alive.stderr
    finally:
        await redis.delete(heartbeat_key(name))
        await redis.aclose()
        heartbeat_path(name).unlink(missing_ok=True)


def test_with_cron_handed_to_a_scheduler_only_the_heartbeat_stays(
    tracker_env: dict[str, str],
) -> None:
    on = build_worker(WorkerSettings, load_settings(tracker_env), handle_signals=False)
    off = build_worker(
        WorkerSettings,
        load_settings({**tracker_env, "FF_WORKER_CRON_ENABLED": "false"}),
        handle_signals=False,
    )
    assert {job.name for job in on.cron_jobs} == {
        "tracker-processor:heartbeat",
        "tracker:daily_extracts",
        "tracker:prune_seen",
    }
    assert [job.name for job in off.cron_jobs] == ["tracker-processor:heartbeat"]


def test_the_api_check_fails_when_nothing_answers() -> None:
    result = health({}, "api", "--url", "http://127.0.0.1:9/health/ready", "--timeout", "2")
    assert result.returncode == 1
    assert "unhealthy" in result.stderr
