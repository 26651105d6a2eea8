"""``ff adp run`` in a child process, as an operator runs it, and the worker's schedule."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

from tests.fixtures.tracker import run_ff

from ff_shared.clock import london_today
from ff_shared.settings import Settings, settings_to_env
from ff_workers.adp.pipeline import Pipeline
from ff_workers.adp.worker import WorkerSettings


async def test_ff_adp_run_prints_progress_and_the_runs_summary(
    pipeline: Pipeline, lake_settings: Settings
) -> None:
    env = settings_to_env(lake_settings)
    done = await asyncio.to_thread(run_ff, env, "adp", "run", "--date", "2026-11-30", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "published"
    assert report["run_date"] == "2026-11-30"
    assert report["trigger"] == "command"
    for stage in ("extracted", "transformed", "checked", "published"):
        assert f"adp  {stage}" in done.stderr
    manifest = pipeline.lake.read_manifest()
    assert manifest is not None
    assert manifest.run_id == report["run_id"]
    assert manifest.run_date == date(2026, 11, 30)
    text = await asyncio.to_thread(run_ff, env, "adp", "run", "--date", "2026-11-30")
    assert text.returncode == 0, text.stderr
    assert "PUBLISHED" in text.stdout
    assert "0 failed" in text.stdout


def test_the_worker_runs_nightly_and_reports_weekly_on_its_own_queue(
    adp_settings: Settings,
) -> None:
    names = {job.name for job in WorkerSettings.cron_jobs}
    assert names == {"adp:heartbeat", "adp:run", "adp:weekly-report"}
    run = next(j for j in WorkerSettings.cron_jobs if j.name == "adp:run")
    assert (run.hour, run.minute, run.max_tries) == (2, 30, 1)
    assert WorkerSettings.queue_for(adp_settings) == adp_settings.adp.queue_name


async def test_the_scheduled_task_runs_the_nightly_job_once(
    pipeline: Pipeline, lake_settings: Settings
) -> None:
    """`ff run adp --once`: what EventBridge Scheduler and the chart's CronJob start, the same
    code path as the worker's cron job."""
    env = settings_to_env(lake_settings)
    done = await asyncio.to_thread(run_ff, env, "run", "adp", "--once")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["trigger"] == "schedule"
    assert result["status"] == "published"
    manifest = pipeline.lake.read_manifest()
    assert manifest is not None
    assert manifest.run_id == result["run_id"]
    assert manifest.run_date == london_today() - timedelta(days=1)
