"""``ff run obv-archiver --once``: the quarter-hourly cron job as a one-shot scheduled task."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.workers.obv_archiver.conftest import Harness

from ff_workers.obv_archiver.worker import NAME, WorkerSettings, archive_open_banking
from ff_workers.runtime import scheduled_jobs


async def test_the_one_shot_task_archives_like_the_cron_job(
    harness: Harness, base_env: dict[str, str]
) -> None:
    assert scheduled_jobs(WorkerSettings)[f"{NAME}:archive"].coroutine is archive_open_banking
    apps = await harness.seed(2)
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ff"),
        *("run", "obv-archiver", "--once"),
        env={**os.environ, **harness.env(base_env)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)

    assert process.returncode == 0, err.decode()
    summary = json.loads(out.splitlines()[-1])
    assert (summary["status"], summary["archived"]) == ("succeeded", 2)
    [run] = await harness.fetch_rows("select * from obv.archive_runs")
    assert (run["trigger"], run["status"], run["archived"]) == ("schedule", "succeeded", 2)
    for app in apps:
        assert len(await harness.versions(app)) == 1
