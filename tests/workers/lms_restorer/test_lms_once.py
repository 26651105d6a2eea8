"""``ff run lms-restorer --once``: the nightly cron job as a one-shot scheduled task."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.fixtures.lms import LmsHarness, env_of

from ff_workers.lms_restorer.worker import WorkerSettings, lms_scheduled_run
from ff_workers.runtime import scheduled_jobs

NAME = "FULL_AnchorLMS_20261128_013000.sqb"


async def test_the_one_shot_task_runs_the_nightly_cron_job(lms: LmsHarness) -> None:
    assert scheduled_jobs(WorkerSettings)["lms-restorer:nightly"].coroutine is lms_scheduled_run
    lms.publish(NAME, payload_bytes=1_000_000, compress=False, threads=1)
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ff"),
        *("run", "lms-restorer", "--once"),
        env={**os.environ, **env_of(lms)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)

    assert process.returncode == 0, err.decode()
    report = json.loads(out.splitlines()[-1])
    async with lms.clients.pg.acquire() as conn:
        run = await conn.fetchrow("select id, mode, trigger from lms.runs")
    assert (run["mode"], run["trigger"]) == ("scheduled", "cron")
    assert report["run_id"] == str(run["id"])
    assert (await lms.backup(NAME)).file_name == NAME
    assert report["outcomes"]
