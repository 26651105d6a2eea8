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
