"""A deploy does not start a long restore again: an operator's restore handed back mid-run (its
worker stopped while the restore step ran) carries on from where it stopped when the job runs
again, instead of resetting its steps."""

from __future__ import annotations

from tests.fixtures.lms import MakeLms

from ff_shared.clock import now_utc
from ff_shared.domain.backups.runs import RESTORE_STEPS, RunMode, RunStatus, Step, StepStatus
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres import transaction
from ff_workers.lms_restorer.pipeline import execute_run, request_run

NAME = "FULL_AnchorLMS_20261127_013000.sqb"


async def test_a_restore_handed_back_mid_run_resumes_where_it_stopped(make_lms: MakeLms) -> None:
    lms = await make_lms(
        FF_LMS_RESTORE_MODE="rds",
        FF_LMS_SQLSERVER_CONNECTION_STRING="Driver={ODBC Driver 18 for SQL Server};Server=rds",
    )
    database = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(database)
    lms.publish(NAME)
    await lms.run()
    backup = await lms.backup(NAME)
    await lms.make_restored_database(f"{database}_r2")
    lms.server.existing = {database}
    lms.server._polls = 0

    run = await request_run(
        lms.clients, mode=RunMode.RESTORE_BACKUP, trigger="test", backup_id=backup.id
    )
    # The first attempt: started, its steps reset, the restore under way when SIGTERM came.
    async with transaction(lms.clients.pg) as conn:
        await catalogue.start_run(conn, run.id, now=now_utc())
        await catalogue.reset_steps(conn, backup.id, RESTORE_STEPS, allow_succeeded=True)
        await catalogue.start_step(conn, backup.id, Step.RESTORE, run_id=run.id, now=now_utc())

    report = await execute_run(lms.clients, run.id)

    assert report.status == RunStatus.SUCCEEDED, report.problems
    assert [o.step for o in report.outcomes] == [Step.RESTORE, Step.VERIFY, Step.SWITCH]
    steps = await lms.steps(NAME)
    assert steps[Step.FETCH].status == StepStatus.SUCCEEDED
    assert {steps[s].status for s in RESTORE_STEPS} == {StepStatus.SUCCEEDED}
