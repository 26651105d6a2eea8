"""The obv-archiver worker on its schedule, and ``ff obv-archive`` / ``ff obv-verify`` by hand."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import asyncpg
import msgspec
import pytest
from redis.asyncio import Redis
from tests.fixtures.workers import close_worker
from tests.workers.obv_archiver.conftest import Harness

from ff_shared.settings import load_settings
from ff_workers.obv_archiver.worker import NAME, WorkerSettings, archive_open_banking, open_archiver
from ff_workers.runtime import build_worker, heartbeat_key

FF = str(Path(sys.executable).parent / "ff")


async def _ff(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        FF,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def env(harness: Harness, base_env: dict[str, str]) -> dict[str, str]:
    return harness.env(base_env)


def test_the_worker_runs_an_archive_every_quarter_hour_on_its_own_queue(
    base_env: dict[str, str],
) -> None:
    settings = load_settings({**base_env, "FF_OBV_ARCHIVER_QUEUE_NAME": "ff:test:obv"})
    [job] = [c for c in WorkerSettings.cron_jobs if c.name == f"{NAME}:archive"]
    assert job.coroutine is archive_open_banking
    assert (job.minute, job.second, job.run_at_startup, job.unique) == (
        {0, 15, 30, 45},
        0,
        True,
        True,
    )
    assert WorkerSettings.queue_for(settings) == "ff:test:obv"
    assert settings.redis.queue_name != "ff:test:obv"


async def test_the_worker_archives_on_start_then_on_its_schedule(
    harness: Harness, env: dict[str, str], redis_url: str, session_id: str
) -> None:
    apps = await harness.seed(2)
    settings = load_settings(
        {**env, "FF_OBV_ARCHIVER_QUEUE_NAME": f"ff:test:{session_id}:obv-archiver"}
    )
    worker = build_worker(
        WorkerSettings, settings, burst=True, poll_delay=0.05, handle_signals=False
    )
    try:
        await asyncio.wait_for(worker.async_run(), timeout=120)
    finally:
        await close_worker(worker)

    [run] = await harness.fetch_rows("select * from obv.archive_runs")
    assert (run["trigger"], run["status"], run["archived"], run["found"]) == (
        "schedule",
        "succeeded",
        2,
        2,
    )
    for app in apps:
        assert len(await harness.versions(app)) == 1
    redis = Redis.from_url(redis_url)
    try:
        assert await redis.get(heartbeat_key(NAME)) is not None
    finally:
        await redis.aclose()


async def test_the_archiver_applies_the_obv_migrations_on_start(
    postgres_dsn: str, session_id: str, base_env: dict[str, str]
) -> None:
    name = f"ff_test_{session_id}_obvfresh"
    admin = await asyncpg.connect(postgres_dsn)
    await admin.execute(f'create database "{name}"')
    dsn = postgres_dsn.rsplit("/", 1)[0] + f"/{name}"
    try:
        settings = load_settings({**base_env, "FF_POSTGRES_DSN": dsn})
        async with open_archiver(settings) as archiver, archiver.pool.acquire() as conn:
            applied = await conn.fetch(
                "select version, name from public.ff_schema_migrations where schema_name = 'obv'"
            )
            assert [tuple(r) for r in applied] == [
                (1, "archive"),
                (2, "retention"),
                (3, "payload_lz4"),
            ]
            assert await conn.fetchval("select to_regclass('obv.transactions')") is not None
    finally:
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.close()


async def test_ff_obv_archive_prints_progress_then_its_summary(
    harness: Harness, env: dict[str, str]
) -> None:
    await harness.seed(3)

    status, out, err = await _ff(env, "obv-archive")

    assert status == 0, err
    assert "progress 3/3 applications: archived 3" in err
    lines = out.splitlines()
    assert lines[0].startswith("obv-archive run ")
    assert "  status        succeeded" in lines
    assert "  found         3" in lines
    assert any(line.startswith("  archived      3  (") for line in lines)
    assert "  quarantined   0" in lines
    assert "  failed        0" in lines
    assert await harness.fetchval("select count(*) from obv.report_versions") == 3


async def test_ff_obv_archive_dry_run_as_json_writes_nothing(
    harness: Harness, env: dict[str, str]
) -> None:
    [app] = await harness.seed(1)

    status, out, err = await _ff(env, "obv-archive", "--dry-run", "--json")

    assert status == 0, err
    summary = json.loads(out)
    assert (summary["dry_run"], summary["found"], summary["archived"]) == (True, 1, 1)
    assert summary["items"][0]["application_id"] == app.application_id
    assert await harness.fetchval("select count(*) from obv.applications") == 0
    assert await harness.fetchval("select count(*) from obv.archive_runs") == 0


async def test_ff_obv_archive_exits_non_zero_when_an_application_failed(
    harness: Harness, env: dict[str, str]
) -> None:
    [down, _fine] = await harness.seed(2)
    await harness.obv_sim.fault("status", status=503, times=None, path_contains=down.reference)

    status, out, _err = await _ff(env, "obv-archive")

    assert status == 1
    assert "  status        completed_with_failures" in out
    assert f"  failed        {down.application_id}: deadline_exceeded" in out


async def test_ff_obv_archive_for_one_reference(harness: Harness, env: dict[str, str]) -> None:
    [wanted, _other] = await harness.seed(2)

    status, out, err = await _ff(env, "obv-archive", "--reference", wanted.reference, "--json")

    assert status == 0, err
    summary = msgspec.json.decode(out)
    assert (summary["found"], summary["archived"], summary["reference"]) == (
        1,
        1,
        wanted.reference,
    )


async def test_ff_obv_archive_for_an_unknown_reference_is_an_error(
    harness: Harness, env: dict[str, str]
) -> None:
    await harness.seed(1)

    status, _out, err = await _ff(env, "obv-archive", "--reference", "OBV-NOSUCHREF")

    assert status == 1
    assert "no application in Dynamics has the open-banking reference 'OBV-NOSUCHREF'" in err


async def test_ff_obv_archive_refuses_a_since_that_is_not_a_time(env: dict[str, str]) -> None:
    status, _out, err = await _ff(env, "obv-archive", "--since", "last tuesday")

    assert status == 2
    assert "is not a date (2026-11-01) or an ISO 8601 time" in err


async def test_ff_obv_verify_passes_then_fails_on_a_tampered_archive(
    harness: Harness, env: dict[str, str]
) -> None:
    await harness.seed(2)
    await harness.run()

    status, out, err = await _ff(env, "obv-verify")
    assert status == 0, err
    assert "2 version(s) of 2 application(s)" in out

    await harness.fetchval(
        "delete from obv.transactions where seq = 1 and version_id ="
        " (select min(version_id) from obv.report_versions)"
    )
    status, out, _err = await _ff(env, "obv-verify")
    assert status == 1
    assert "mismatch(es):" in out
    assert "rows.transaction_count" in out

    status, out, _err = await _ff(env, "obv-verify", "--json")
    assert status == 1
    result = json.loads(out)
    assert result["ok"] is False
    assert {m["mismatch"]["check"] for m in result["mismatches"]} >= {"rows.transaction_count"}
