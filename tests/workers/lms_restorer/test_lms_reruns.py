"""Idempotent, resumable runs: a run killed at any step is continued by the next one without
doing anything twice; one run at a time; operators re-run failed steps; retention."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.lms import LmsHarness, MakeLms, env_of

from ff_shared.clock import now_utc
from ff_shared.domain.backups.runs import RunMode, RunStatus, Step, StepStatus
from ff_shared.integrations.aws.ssm import put_secret
from ff_workers.lms_restorer import pipeline
from ff_workers.lms_restorer.pipeline import LOCK_KEY

NAME = "FULL_AnchorLMS_20261127_013000.sqb"


class Killed(BaseException):
    """The process died: nothing after this point runs, not even the catalogue's update."""


async def rds(make_lms: MakeLms) -> LmsHarness:
    lms = await make_lms(
        FF_LMS_RESTORE_MODE="rds",
        FF_LMS_SQLSERVER_CONNECTION_STRING="Driver={ODBC Driver 18 for SQL Server};Server=rds",
    )
    await lms.make_restored_database(f"{lms.prefix}_20261127_013000")
    return lms


@pytest.mark.parametrize("step", list(Step))
async def test_a_run_killed_after_a_step_did_its_work_is_continued_by_the_next(
    make_lms: MakeLms, monkeypatch: pytest.MonkeyPatch, step: Step
) -> None:
    lms = await rds(make_lms)
    lms.publish(NAME, threads=2)
    real = pipeline.STEP_FUNCTIONS[step]

    async def dies_after(*args: Any) -> Any:
        await real(*args)
        raise Killed

    monkeypatch.setitem(pipeline.STEP_FUNCTIONS, step, dies_after)
    with pytest.raises(Killed):
        await lms.run()
    assert (await lms.steps(NAME))[step].status == StepStatus.RUNNING
    monkeypatch.setitem(pipeline.STEP_FUNCTIONS, step, real)

    report = await lms.run()

    assert report.status == RunStatus.SUCCEEDED, report.problems
    steps = await lms.steps(NAME)
    assert {s.status for s in steps.values()} == {StepStatus.SUCCEEDED}
    assert steps[step].attempts == 2
    assert all(steps[s].attempts == 1 for s in Step if s != step)
    assert len(await lms.s3_keys()) == 3
    assert len(lms.server.sent("rds_restore_database")) == 1
    async with lms.clients.pg.acquire() as conn:
        runs = await conn.fetch("select status, error from lms.runs order by requested_at")
        switches = await conn.fetchval("select count(*) from lms.loanbook_switches")
    assert [r["status"] for r in runs] == ["failed", "succeeded"]
    assert "stopped before finishing" in runs[0]["error"]
    assert switches == 1


async def test_a_worker_process_killed_mid_upload_is_continued_by_the_next_run(
    lms: LmsHarness,
) -> None:
    source = lms.publish(NAME, payload_bytes=150_000_000, compress=False, password=None)
    env = {**os.environ, **env_of(lms)}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ff"),
        "lms",
        "run",
        "--quiet",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            await asyncio.sleep(0.05)
            if process.returncode is not None:
                break
            try:
                state = (await lms.steps(NAME))[Step.ARCHIVE_ORIGINAL]
            except AssertionError:
                continue
            if state.status == StepStatus.RUNNING:
                await asyncio.sleep(0.4)
                break
        assert process.returncode is None, "the run finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
    steps = await lms.steps(NAME)
    assert steps[Step.FETCH].status == StepStatus.SUCCEEDED
    assert steps[Step.ARCHIVE_ORIGINAL].status == StepStatus.RUNNING
    bucket = lms.settings.lms.bucket
    uploads = await lms.clients.s3.list_multipart_uploads(Bucket=bucket)
    assert len(uploads.get("Uploads", [])) == 1

    report = await lms.run()

    assert report.status == RunStatus.INCOMPLETE, report.problems
    steps = await lms.steps(NAME)
    assert steps[Step.FETCH].attempts == 1
    assert steps[Step.ARCHIVE_ORIGINAL].attempts == 2
    assert steps[Step.ARCHIVE_CONVERTED].status == StepStatus.SUCCEEDED
    assert (await lms.clients.s3.list_multipart_uploads(Bucket=bucket)).get("Uploads", []) == []
    head = await lms.clients.s3.head_object(Bucket=bucket, Key=f"originals/2026/11/27/{NAME}")
    assert head["ContentLength"] == source.stat().st_size
    assert head["Metadata"]["sha256"] == (await lms.backup(NAME)).sha256


async def test_a_second_run_while_one_holds_the_lock_does_nothing(lms: LmsHarness) -> None:
    lms.publish(NAME)
    async with lms.clients.pg.acquire() as holder:
        assert await holder.fetchval("select pg_try_advisory_lock($1)", LOCK_KEY)
        try:
            report = await lms.run()
        finally:
            await holder.execute("select pg_advisory_unlock($1)", LOCK_KEY)

    assert report.status == RunStatus.BUSY
    async with lms.clients.pg.acquire() as conn:
        assert await conn.fetchval("select count(*) from lms.backups") == 0
    assert (await lms.run()).status == RunStatus.INCOMPLETE


async def test_a_step_that_keeps_failing_waits_for_an_operator_rerun(
    make_lms: MakeLms,
) -> None:
    lms = await make_lms(FF_LMS_MAX_STEP_ATTEMPTS="2")
    lms.publish(NAME, password="the-new-password")
    for _ in range(2):
        assert (await lms.run()).status == RunStatus.FAILED
    third = await lms.run()
    assert third.outcomes == []
    assert third.status == RunStatus.FAILED
    assert "an operator must re-run it" in third.problems[0]
    assert (await lms.steps(NAME))[Step.CONVERT].attempts == 2

    parameter = lms.settings.lms.converter_password_parameter
    assert parameter is not None
    await put_secret(lms.clients.ssm, parameter, "the-new-password")
    backup = await lms.backup(NAME)
    report = await lms.run(RunMode.RERUN_STEP, backup_id=backup.id, step=Step.CONVERT)

    assert report.status == RunStatus.INCOMPLETE
    assert [o.step for o in report.outcomes] == [Step.CONVERT, Step.ARCHIVE_CONVERTED, Step.RESTORE]
    convert = (await lms.steps(NAME))[Step.CONVERT]
    assert convert.status == StepStatus.SUCCEEDED
    assert convert.attempts == 1


async def test_rerunning_a_step_that_succeeded_is_refused(lms: LmsHarness) -> None:
    lms.publish(NAME)
    await lms.run()
    backup = await lms.backup(NAME)

    report = await lms.run(RunMode.RERUN_STEP, backup_id=backup.id, step=Step.FETCH)

    assert report.status == RunStatus.FAILED
    assert "already succeeded" in report.problems[0]


async def test_retention_deletes_old_archives_but_keeps_the_newest(make_lms: MakeLms) -> None:
    lms = await make_lms(FF_LMS_RETENTION_DAYS="10", FF_LMS_RETENTION_KEEP_NEWEST="2")
    today = now_utc()
    names = [
        f"FULL_AnchorLMS_{(today - timedelta(days=age)):%Y%m%d}_013000.sqb"
        for age in (40, 30, 20, 15, 2)
    ]
    for name in names[:4]:
        lms.publish(name)
    first = await lms.run()
    # Four archived, all older than 10 days: the newest two are kept whatever their age.
    assert sorted(first.expired_backups) == sorted([(await lms.backup(n)).id for n in names[:2]])
    lms.publish(names[4])

    second = await lms.run()

    assert second.expired_backups == [(await lms.backup(names[2])).id]
    keys = await lms.s3_keys()
    assert {k.rsplit("/", 1)[-1] for k in keys if k.startswith("originals/")} == {
        names[3],
        names[4],
    }
    deleted = await lms.backup(names[0])
    assert deleted.archive_deleted_at is not None
    assert not lms.clients.original_path(names[0]).exists()
    assert not lms.clients.converted_dir(names[0]).exists()
    assert lms.clients.original_path(names[4]).exists()
