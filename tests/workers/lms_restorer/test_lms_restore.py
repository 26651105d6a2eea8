"""Restore, verify and switch. No SQL Server runs here: the restore modes are checked by the
exact statements they send to the restore target's boundary and by driving RDS's task status
through its lifecycle; verification runs for real through aioodbc against the loan-book schema
in PostgreSQL, and the switch moves the real pointer the API reads."""

from __future__ import annotations

from datetime import timedelta

from tests.fixtures.lms import LmsHarness, MakeLms

from ff_shared.clock import london_today
from ff_shared.domain.backups.runs import RunMode, RunStatus, Step, StepStatus
from ff_shared.stores.loanbook.connection import connect, with_database
from ff_shared.stores.postgres import lms as catalogue

NAME = "FULL_AnchorLMS_20261127_013000.sqb"
STEM = "FULL_AnchorLMS_20261127_013000"


async def rds(make_lms: MakeLms) -> LmsHarness:
    return await make_lms(
        FF_LMS_RESTORE_MODE="rds",
        FF_LMS_SQLSERVER_CONNECTION_STRING="Driver={ODBC Driver 18 for SQL Server};Server=rds",
    )


async def test_rds_restore_of_a_striped_set_sends_the_prefix_arn_and_polls_to_success(
    make_lms: MakeLms,
) -> None:
    lms = await rds(make_lms)
    database = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(database)
    lms.server.lifecycles = ["CREATED", "CREATED", "IN_PROGRESS", "IN_PROGRESS", "SUCCESS"]
    lms.publish(NAME, threads=2)

    report = await lms.run()

    assert report.status == RunStatus.SUCCEEDED, report.problems
    bucket = lms.settings.lms.bucket
    assert lms.server.statements[0] == ("SELECT DB_ID(?) AS database_id", (database,))
    assert lms.server.statements[1] == (
        "exec msdb.dbo.rds_restore_database @restore_db_name=?, @s3_arn_to_restore_from=?",
        (database, f"arn:aws:s3:::{bucket}/converted/2026/11/27/{STEM}/{STEM}*"),
    )
    polls = lms.server.sent("rds_task_status @task_id")
    assert polls == [("exec msdb.dbo.rds_task_status @task_id=?", (7,))] * 5
    steps = await lms.steps(NAME)
    assert steps[Step.RESTORE].detail["lifecycle"] == "SUCCESS"
    assert steps[Step.VERIFY].status == StepStatus.SUCCEEDED
    assert steps[Step.SWITCH].status == StepStatus.SUCCEEDED
    async with lms.clients.pg.acquire() as conn:
        pointer = await catalogue.current_loanbook(conn)
    assert pointer is not None
    assert pointer.current_database == database
    assert pointer.previous_database is None


async def test_rds_restore_of_one_file_names_that_file(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    lms.server.lifecycles = ["ERROR"]
    lms.publish(NAME)

    await lms.run()

    arn = lms.server.sent("rds_restore_database")[0][1][1]
    assert arn == f"arn:aws:s3:::{lms.settings.lms.bucket}/converted/2026/11/27/{STEM}/{STEM}.bak"


async def test_rds_error_fails_the_restore_with_its_task_info_and_alerts(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    lms.server.lifecycles = ["CREATED", "IN_PROGRESS", "ERROR"]
    lms.server.task_info = "Aborted the task because of a task failure: the backup set is damaged"
    lms.publish(NAME)
    sent = await lms.sent_mail()

    report = await lms.run()

    assert report.status == RunStatus.FAILED
    restore = (await lms.steps(NAME))[Step.RESTORE]
    assert restore.status == StepStatus.FAILED
    assert "the backup set is damaged" in (restore.error or "")
    assert restore.detail["lifecycle"] == "ERROR"
    assert (await lms.steps(NAME))[Step.SWITCH].status == StepStatus.PENDING
    await lms.assert_alerted(report, sent, "the backup set is damaged")


async def test_rds_cancel_requested_then_cancelled_fails_the_restore(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    lms.server.lifecycles = ["CREATED", "IN_PROGRESS", "CANCEL_REQUESTED", "CANCELLED"]
    lms.publish(NAME)

    await lms.run()

    restore = (await lms.steps(NAME))[Step.RESTORE]
    assert restore.status == StepStatus.FAILED
    assert "was cancelled" in (restore.error or "")
    assert len(lms.server.sent("rds_task_status @task_id")) == 4


async def test_rds_restore_past_its_timeout_is_cancelled_and_fails(make_lms: MakeLms) -> None:
    lms = await make_lms(
        FF_LMS_RESTORE_MODE="rds",
        FF_LMS_SQLSERVER_CONNECTION_STRING="Driver={ODBC Driver 18 for SQL Server};Server=rds",
        FF_LMS_RESTORE_TIMEOUT_SECONDS="0.3",
        FF_LMS_RESTORE_POLL_SECONDS="0.1",
    )
    lms.server.lifecycles = ["CREATED", "IN_PROGRESS"]
    lms.publish(NAME)

    await lms.run()

    restore = (await lms.steps(NAME))[Step.RESTORE]
    assert restore.status == StepStatus.FAILED
    assert "did not finish within" in (restore.error or "")
    assert lms.server.sent("rds_cancel_task") == [
        ("exec msdb.dbo.rds_cancel_task @task_id=?", (7,))
    ]


async def test_an_rds_state_out_of_order_is_refused(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    lms.server.lifecycles = ["IN_PROGRESS", "CREATED"]
    lms.publish(NAME)

    await lms.run()

    restore = (await lms.steps(NAME))[Step.RESTORE]
    assert restore.status == StepStatus.FAILED
    assert "went from IN_PROGRESS to CREATED" in (restore.error or "")


async def test_an_existing_database_name_gets_a_new_dated_name(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    taken = f"{lms.prefix}_20261127_013000"
    lms.server.existing = {taken}
    lms.server.lifecycles = ["ERROR"]
    lms.publish(NAME)

    await lms.run()

    assert lms.server.sent("rds_restore_database")[0][1][0] == f"{taken}_r2"


async def test_disk_restore_sends_restore_database_with_every_file_moved(
    make_lms: MakeLms,
) -> None:
    lms = await make_lms(
        FF_LMS_RESTORE_MODE="disk",
        FF_LMS_SQLSERVER_CONNECTION_STRING="Driver={ODBC Driver 18 for SQL Server};Server=db",
        FF_LMS_RESTORE_DISK_DIRECTORY="E:\\Backups\\converted",
    )
    database = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(database)
    lms.publish(NAME, threads=2)

    report = await lms.run()

    assert report.status == RunStatus.SUCCEEDED, report.problems
    disks = (
        f"DISK = N'E:\\Backups\\converted\\{STEM}\\{STEM}_01.bak',"
        f" DISK = N'E:\\Backups\\converted\\{STEM}\\{STEM}_02.bak'"
    )
    assert [s for s, _ in lms.server.statements] == [
        "SELECT DB_ID(?) AS database_id",
        f"RESTORE FILELISTONLY FROM {disks}",
        "SELECT CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(4000)) AS data_path,"
        " CAST(SERVERPROPERTY('InstanceDefaultLogPath') AS nvarchar(4000)) AS log_path",
        f"RESTORE DATABASE [{database}] FROM {disks} WITH"
        f" MOVE N'AnchorLMS' TO N'D:\\Data\\{database}_AnchorLMS.mdf',"
        f" MOVE N'AnchorLMS_log' TO N'L:\\Logs\\{database}_AnchorLMS_log.ldf',"
        " CHECKSUM, RECOVERY, STATS = 10",
    ]
    async with lms.clients.pg.acquire() as conn:
        pointer = await catalogue.current_loanbook(conn)
    assert pointer is not None
    assert pointer.current_database == database


async def test_verification_failure_keeps_the_previous_loan_book_and_alerts(
    make_lms: MakeLms,
) -> None:
    lms = await rds(make_lms)
    first = f"{lms.prefix}_20261126_013000"
    await lms.make_restored_database(first, customers=10)
    lms.publish("FULL_AnchorLMS_20261126_013000.sqb")
    assert (await lms.run()).status == RunStatus.SUCCEEDED
    second = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(second, customers=2)
    lms.server._polls = 0
    lms.publish(NAME)
    sent = await lms.sent_mail()

    report = await lms.run()

    assert report.status == RunStatus.FAILED
    verify = (await lms.steps(NAME))[Step.VERIFY]
    assert verify.status == StepStatus.FAILED
    checks = {c["name"]: c for c in verify.detail["checks"]}
    assert checks["row_counts"]["outcome"] == "failed"
    assert "Agreements 20 -> 4" in checks["row_counts"]["detail"]
    assert checks["required_tables"]["outcome"] == "passed"
    assert checks["newest_transaction"]["outcome"] == "passed"
    assert checks["checkdb"]["outcome"] == "not_applicable"
    assert "the previous loan book stays in service" in (verify.error or "")
    async with lms.clients.pg.acquire() as conn:
        pointer = await catalogue.current_loanbook(conn)
    assert pointer is not None
    assert pointer.current_database == first
    await lms.assert_alerted(report, sent, "did not verify")


async def test_a_stale_loan_book_fails_the_freshness_check(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    database = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(database, newest=london_today() - timedelta(days=5))
    lms.publish(NAME)

    await lms.run()

    verify = (await lms.steps(NAME))[Step.VERIFY]
    checks = {c["name"]: c for c in verify.detail["checks"]}
    assert checks["newest_transaction"]["outcome"] == "failed"
    assert "days old (limit 4)" in checks["newest_transaction"]["detail"]


async def test_a_restored_database_missing_a_table_fails_verification(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    database = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(database)
    conn = await connect(with_database(lms.loanbook_server, database))
    try:
        async with conn.cursor() as cur:
            await cur.execute("DROP TABLE ScheduleInstalments")
    finally:
        await conn.close()
    lms.publish(NAME)

    await lms.run()

    verify = (await lms.steps(NAME))[Step.VERIFY]
    checks = {c["name"]: c for c in verify.detail["checks"]}
    assert checks["required_tables"] == {
        "name": "required_tables",
        "outcome": "failed",
        "detail": "missing: ScheduleInstalments",
    }


async def test_rollback_puts_the_previous_loan_book_back(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    first = f"{lms.prefix}_20261126_013000"
    second = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(first)
    await lms.make_restored_database(second)
    lms.publish("FULL_AnchorLMS_20261126_013000.sqb")
    await lms.run()
    lms.server._polls = 0
    lms.publish(NAME)
    assert (await lms.run()).status == RunStatus.SUCCEEDED

    async with lms.clients.pg.acquire() as conn:
        pointer = await catalogue.current_loanbook(conn)
        assert (pointer.current_database, pointer.previous_database) == (second, first)
        async with conn.transaction():
            rolled = await catalogue.rollback_loanbook(
                conn, actor="ops@example.com", now=pointer.switched_at
            )
        history = await conn.fetch(
            "select from_database, to_database, reason from lms.loanbook_switches order by id"
        )

    assert (rolled.current_database, rolled.previous_database) == (first, None)
    assert [tuple(r) for r in history] == [
        (None, first, "verified"),
        (first, second, "verified"),
        (second, first, "rollback"),
    ]


async def test_an_operator_can_restore_an_archived_backup_again(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    database = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(database)
    lms.publish(NAME)
    await lms.run()
    backup = await lms.backup(NAME)
    await lms.make_restored_database(f"{database}_r2")
    lms.server.existing = {database}
    lms.server._polls = 0

    report = await lms.run(RunMode.RESTORE_BACKUP, backup_id=backup.id)

    assert report.status == RunStatus.SUCCEEDED, report.problems
    assert [o.step for o in report.outcomes] == [Step.RESTORE, Step.VERIFY, Step.SWITCH]
    async with lms.clients.pg.acquire() as conn:
        pointer = await catalogue.current_loanbook(conn)
    assert pointer is not None
    assert (pointer.current_database, pointer.previous_database) == (f"{database}_r2", database)


async def test_only_the_newest_of_several_new_backups_is_restored(make_lms: MakeLms) -> None:
    lms = await rds(make_lms)
    database = f"{lms.prefix}_20261127_013000"
    await lms.make_restored_database(database)
    lms.publish("FULL_AnchorLMS_20261125_013000.sqb")
    lms.publish(NAME)

    report = await lms.run()

    assert report.status == RunStatus.SUCCEEDED, report.problems
    older = await lms.steps("FULL_AnchorLMS_20261125_013000.sqb")
    assert older[Step.ARCHIVE_CONVERTED].status == StepStatus.SUCCEEDED
    assert {older[s].status for s in (Step.RESTORE, Step.VERIFY, Step.SWITCH)} == {
        StepStatus.SKIPPED
    }
    assert len(lms.server.sent("rds_restore_database")) == 1
