"""Faults the archiver survives: OBV and Dynamics misbehaving, PostgreSQL dropping the connection
mid-transaction, the process killed with SIGKILL. Each ends with every application archived
exactly once."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import asyncpg
from tests.workers.obv_archiver.conftest import Harness, SeededApp

from ff_workers.obv_archiver.verify import verify_archive


async def _exactly_once(harness: Harness, apps: list[SeededApp]) -> None:
    """Every application has one version, complete, and the archive verifies."""
    for app in apps:
        [version] = await harness.versions(app)
        rows = await harness.fetchval(
            "select count(*) from obv.transactions where version_id = $1", version["version_id"]
        )
        assert rows == version["transaction_count"]
    assert await harness.fetchval("select count(*) from obv.applications where pending") == 0
    result = await verify_archive(harness.pool)
    assert result.ok, result.render()


async def test_obv_5xx_throttling_and_timeouts_are_retried_within_the_run(
    harness: Harness,
) -> None:
    [flaky, throttled, slow] = apps = await harness.seed(3)
    seq = await harness.obv_sim.last_seq()
    await harness.obv_sim.fault("status", status=503, times=2, path_contains=flaky.reference)
    await harness.obv_sim.fault(
        "rate_limit", retry_after="1", times=1, path_contains=throttled.reference
    )
    await harness.obv_sim.fault("slow", delay_seconds=3.0, times=1, path_contains=slow.reference)

    summary = await harness.run()

    assert (summary.status, summary.archived, summary.failed) == ("succeeded", 3, 0)
    assert [r["fault"] for r in await harness.report_requests(flaky, seq)] == [
        "status",
        "status",
        None,
    ]
    waits = await harness.report_requests(throttled, seq)
    assert [r["status"] for r in waits] == [429, 200]
    assert waits[1]["started"] - waits[0]["finished"] >= 0.9
    assert [r["fault"] for r in await harness.report_requests(slow, seq)] == ["slow", None]
    await _exactly_once(harness, apps)


async def test_obv_failing_past_its_deadline_leaves_the_application_for_the_next_run(
    harness: Harness,
) -> None:
    [down, fine] = apps = await harness.seed(2)
    await harness.obv_sim.fault("status", status=502, times=None, path_contains=down.reference)

    first = await harness.run()

    assert (first.status, first.archived, first.failed) == ("completed_with_failures", 1, 1)
    [failure] = [i for i in first.items if i.outcome == "failed"]
    assert failure.application_id == down.application_id
    assert failure.detail is not None
    assert "deadline_exceeded" in failure.detail
    state = await harness.fetch_rows(
        "select pending, last_outcome, attempts from obv.applications where application_id = $1",
        down.application_id,
    )
    assert tuple(state[0]) == (True, "failed", 1)
    assert await harness.versions(down) == []
    await harness.obv_sim.clear_faults()

    second = await harness.run()

    assert (second.status, second.discovered, second.found, second.archived) == (
        "succeeded",
        0,
        1,
        1,
    )
    await _exactly_once(harness, apps)
    assert len(await harness.versions(fine)) == 1


async def test_a_report_not_ready_yet_is_a_failure_the_next_run_completes(
    harness: Harness,
) -> None:
    [app] = await harness.seed(1)
    await harness.obv_sim.configure(report_delay_seconds=600)
    try:
        await harness.obv_sim.complete(app.reference)
        first = await harness.run()
    finally:
        await harness.obv_sim.configure(report_delay_seconds=0)
    assert (first.failed, first.archived) == (1, 0)
    assert "report_not_ready" in (first.items[0].detail or "")
    await harness.obv_sim.complete(app.reference)

    second = await harness.run()

    assert second.archived == 1
    await _exactly_once(harness, [app])


async def test_dynamics_throttling_and_5xx_are_retried_within_the_run(harness: Harness) -> None:
    apps = await harness.seed(2)
    await harness.dynamics_sim.fault(
        "rate_limit", retry_after="1", times=1, path_contains="ff_loanapplications"
    )
    await harness.dynamics_sim.fault(
        "status", status=503, times=1, path_contains="ff_loanapplications"
    )

    summary = await harness.run()

    assert (summary.status, summary.archived) == ("succeeded", 2)
    await _exactly_once(harness, apps)


async def test_dynamics_down_keeps_the_watermark_and_the_next_run_completes(
    harness: Harness,
) -> None:
    apps = await harness.seed(2)
    watermark = await harness.fetchval("select modified_on from obv.watermark")
    await harness.dynamics_sim.fault(
        "status", status=503, times=None, path_contains="ff_loanapplications"
    )

    first = await harness.run()

    assert (first.status, first.discovered, first.archived) == ("failed", 0, 0)
    assert first.error is not None
    assert "deadline_exceeded" in first.error
    assert await harness.fetchval("select modified_on from obv.watermark") == watermark
    run = await harness.fetch_rows(
        "select status, error from obv.archive_runs where run_id = $1", first.run_id
    )
    assert run[0]["status"] == "failed"
    await harness.dynamics_sim.clear_faults()

    second = await harness.run()

    assert (second.status, second.archived) == ("succeeded", 2)
    assert second.watermark_after is not None
    assert second.watermark_after > watermark
    await _exactly_once(harness, apps)


async def test_a_malformed_dynamics_page_stops_discovery_without_losing_anything(
    harness: Harness,
) -> None:
    apps = await harness.seed(2)
    await harness.dynamics_sim.fault(
        "malformed", body="wrong_shape", times=1, path_contains="ff_loanapplications"
    )

    first = await harness.run()

    assert (first.status, first.archived) == ("failed", 0)
    assert "malformed_response" in (first.error or "")

    second = await harness.run()

    assert (second.status, second.archived) == ("succeeded", 2)
    await _exactly_once(harness, apps)


async def _blocked_backend(watcher: asyncpg.Connection, *, not_pid: int = 0) -> int:
    """The archiver's backend once it waits on the lock held on obv.balances. (``watcher`` is
    outside any transaction: pg_stat_activity is read once per transaction.)"""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pid = await watcher.fetchval(
            """
            select pid from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'
              and pid <> pg_backend_pid() and pid <> $1
            """,
            not_pid,
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.02)
    raise AssertionError("the archiver never reached the balances insert")


async def test_postgres_dropping_the_connection_mid_transaction_rolls_back_and_is_retried(
    harness: Harness,
) -> None:
    [app] = await harness.seed(1)
    locker = await asyncpg.connect(harness.dsn)
    watcher = await asyncpg.connect(harness.dsn)
    try:
        hold = locker.transaction()
        await hold.start()
        # The archiver's transaction writes the version and its accounts, then waits here.
        await locker.execute("lock table obv.balances in access exclusive mode")
        run = asyncio.create_task(harness.run())
        first = await _blocked_backend(watcher)
        in_transaction = await watcher.fetchval(
            "select xact_start is not null from pg_stat_activity where pid = $1", first
        )
        assert in_transaction
        await watcher.execute("select pg_terminate_backend($1)", first)
        retry = await _blocked_backend(watcher, not_pid=first)
        # Nothing of the killed transaction was kept.
        assert await watcher.fetchval("select count(*) from obv.report_versions") == 0
        assert await watcher.fetchval("select count(*) from obv.accounts") == 0
        assert retry != first
        await hold.rollback()
        summary = await asyncio.wait_for(run, timeout=60)
    finally:
        await locker.close()
        await watcher.close()

    assert (summary.status, summary.archived, summary.failed) == ("succeeded", 1, 0)
    await _exactly_once(harness, [app])


async def test_postgres_dropping_the_connection_with_no_retry_left_fails_cleanly_then_completes(
    harness: Harness,
) -> None:
    [app, other] = await harness.seed(2)
    once = harness.settings.__class__(
        queue_name="unused", max_in_flight=1, overlap_seconds=0.0, store_attempts=1
    )
    locker = await asyncpg.connect(harness.dsn)
    watcher = await asyncpg.connect(harness.dsn)
    try:
        hold = locker.transaction()
        await hold.start()
        await locker.execute("lock table obv.balances in access exclusive mode")
        run = asyncio.create_task(harness.run(settings=once))
        await watcher.execute("select pg_terminate_backend($1)", await _blocked_backend(watcher))
        await asyncio.sleep(0.2)
        await hold.rollback()
        first = await asyncio.wait_for(run, timeout=60)
    finally:
        await locker.close()
        await watcher.close()

    assert (first.status, first.archived, first.failed) == ("completed_with_failures", 1, 1)
    [failed] = [i for i in first.items if i.outcome == "failed"]
    assert failed.detail is not None
    assert failed.detail.startswith("postgresql:")
    assert await harness.fetchval("select count(*) from obv.report_versions") == 1

    second = await harness.run()

    assert (second.found, second.archived) == (1, 1)
    await _exactly_once(harness, [app, other])


async def test_a_run_killed_with_sigkill_is_completed_by_the_next_without_duplicates_or_gaps(
    harness: Harness, base_env: dict[str, str]
) -> None:
    apps = await harness.seed(12)
    await harness.obv_sim.fault("slow", delay_seconds=0.4, times=None, path_contains="/v1/reports/")
    env = harness.env(base_env)
    env["FF_OBV_ARCHIVER_MAX_IN_FLIGHT"] = "2"
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ff"),
        "obv-archive",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while await harness.fetchval("select count(*) from obv.report_versions") < 3:
            assert time.monotonic() < deadline, "the archiver archived nothing"
            assert process.returncode is None, "the archiver ended before it was killed"
            await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL
    done = await harness.fetchval("select count(*) from obv.report_versions")
    assert 3 <= done < 12
    [killed] = await harness.fetch_rows("select * from obv.archive_runs")
    assert (killed["status"], killed["found"], killed["archived"]) == ("running", 12, done)
    await harness.obv_sim.clear_faults()

    summary = await harness.run()

    assert (summary.status, summary.found, summary.archived) == ("succeeded", 12 - done, 12 - done)
    await _exactly_once(harness, apps)
    status = await harness.fetchval(
        "select status from obv.archive_runs where run_id = $1", killed["run_id"]
    )
    assert status == "abandoned"
