"""``ff lms`` as an operator runs it: a run with progress, the listing, actions refused clearly."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fixtures.lms import LmsHarness, env_of

NAME = "FULL_AnchorLMS_20261127_013000.sqb"


async def ff(lms: LmsHarness, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ff"),
        "lms",
        *args,
        env={**os.environ, **env_of(lms)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_ff_lms_run_shows_progress_then_the_outcome_of_each_step(lms: LmsHarness) -> None:
    lms.publish(NAME, payload_bytes=6_000_000, compress=False, threads=2)

    status, out, err = await ff(lms, "run")

    assert status == 0, err
    assert f"download {NAME}" in err
    assert f"upload {NAME}" in err
    assert "upload FULL_AnchorLMS_20261127_013000_02.bak" in err
    assert "100.0%" in err
    assert f"{NAME}           convert            succeeded" in out
    assert "restore            not_configured" in out
    assert ": incomplete (" in out
    async with lms.clients.pg.acquire() as conn:
        action = await conn.fetchrow("select action, actor from lms.ops_actions")
    assert action["action"] == "run_requested"
    assert action["actor"].startswith("cli:")

    status, out, _ = await ff(lms, "list")

    assert status == 0
    assert NAME in out
    assert "succeeded succeeded succeeded succeeded not_confi" in out


async def test_ff_lms_refuses_clearly(lms: LmsHarness) -> None:
    status, _, err = await ff(lms, "rollback")
    assert status == 1
    assert "there is no previous loan book to roll back to" in err

    status, _, err = await ff(lms, "show", "no-such-backup.sqb")
    assert status == 1
    assert "no backup with the id or file name" in err

    lms.publish(NAME)
    await lms.run()
    status, out, _ = await ff(lms, "rerun", NAME, "fetch")
    assert status == 1
    assert "already succeeded" in out


async def test_a_run_with_nothing_configured_to_do_exits_3(lms: LmsHarness) -> None:
    lms.publish(NAME)
    await lms.run()

    status, out, err = await ff(lms, "run", "--quiet")

    assert status == 3
    assert "restore            not_configured" in out
    assert "nothing was done: every step due is not configured on this host" in err


async def test_a_restore_of_files_missing_from_the_archive_is_refused(lms: LmsHarness) -> None:
    lms.publish(NAME)
    await lms.run()
    bucket = lms.clients.lms.bucket
    listing = await lms.clients.s3.list_objects_v2(Bucket=bucket, Prefix="converted/")
    for item in listing["Contents"]:
        await lms.clients.s3.delete_object(Bucket=bucket, Key=item["Key"])

    status, _out, err = await ff(lms, "restore", NAME, "--quiet")

    assert status == 1
    assert f"{NAME}'s converted files are not in the archive" in err
    async with lms.clients.pg.acquire() as conn:
        assert (
            await conn.fetchval("select count(*) from lms.runs where mode = 'restore_backup'") == 0
        )
