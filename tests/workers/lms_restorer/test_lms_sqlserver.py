"""A whole run against a real SQL Server: collected only where one is configured.

No SQL Server runs on the development machines, so this module defines its test only where one
is configured (elsewhere it collects nothing: nothing is skipped). With

    FF_TEST_LMS_SQLSERVER_CONNECTION_STRING="Driver={ODBC Driver 18 for SQL Server};
        Server=tcp:127.0.0.1,1433;Uid=sa;Pwd=...;TrustServerCertificate=yes;Database=master;"
    FF_TEST_LMS_SQLSERVER_SHARED_DIR=/srv/mssql-share   # the same path inside the server

it makes a small loan book on that server, backs it up to the shared directory, and runs the
worker in disk mode: the "converter" hands over that native backup (it must be a real one for
SQL Server to restore it), RESTORE FILELISTONLY and RESTORE DATABASE really run, verification
runs DBCC CHECKDB, and the portals' pointer switches to the new database.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.fixtures.lms import MakeLms

from ff_shared.clock import london_today
from ff_shared.domain.backups.runs import RunStatus, Step, StepStatus
from ff_shared.stores.loanbook.connection import connect, with_database
from ff_shared.stores.loanbook.schema import drop_database, ensure_loanbook
from ff_shared.stores.postgres import lms as catalogue
from ff_standins.loanbook.seed import seed_demo_loans
from ff_workers.lms_restorer.sqlserver import odbc_restorer

SERVER = os.environ.get("FF_TEST_LMS_SQLSERVER_CONNECTION_STRING")
SHARED = os.environ.get("FF_TEST_LMS_SQLSERVER_SHARED_DIR")
CONFIGURED = bool(SERVER and SHARED)


async def run_on_sql_server(make_lms: MakeLms) -> None:
    assert SERVER is not None
    assert SHARED is not None
    tag = uuid.uuid4().hex[:8]
    source_db = with_database(SERVER, f"ff_lms_source_{tag}")
    await ensure_loanbook(source_db)
    restored: list[str] = []
    try:
        conn = await connect(source_db)
        try:
            await seed_demo_loans(
                conn, [f"cust-{tag}"], today=london_today(), now=datetime.now(UTC)
            )
            async with conn.cursor() as cur:
                await cur.execute(
                    "INSERT INTO Transactions (TransactionId, AgreementId, TypeId, Amount,"
                    " TransactionDate, Reference, CreatedAt) SELECT MAX(TransactionId) + 1,"
                    " MIN(AgreementId), 3, 10.00, CAST(GETDATE() AS date), 'fresh', GETDATE()"
                    " FROM Transactions"
                )
        finally:
            await conn.close()
        native = Path(SHARED) / f"source_{tag}.bak"
        admin = await connect(SERVER)
        try:
            async with admin.cursor() as cur:
                await cur.execute(
                    f"BACKUP DATABASE ff_lms_source_{tag} TO DISK = ? WITH INIT, CHECKSUM",
                    (str(native),),
                )
                while await cur.nextset():
                    pass
        finally:
            await admin.close()
        lms = await make_lms(
            FF_LMS_RESTORE_MODE="disk",
            FF_LMS_SQLSERVER_CONNECTION_STRING=SERVER,
            FF_LMS_WORK_DIR=str(Path(SHARED) / f"work_{tag}"),
            FF_LMS_CONVERTER_COMMAND=f"cp {native} {{output}}",
            FF_LMS_CONVERTER_PASSWORD_PARAMETER="",
            FF_LMS_TARGET_SERVER_VERSION="999",
            FF_LOANBOOK_CONNECTION_STRING=SERVER,
        )
        lms.clients.restorer = lambda: odbc_restorer(SERVER, statement_timeout=600)
        lms.publish("FULL_AnchorLMS_20261127_013000.sqb")
        restored.append(with_database(SERVER, f"{lms.prefix}_20261127_013000"))

        report = await lms.run()

        assert report.status == RunStatus.SUCCEEDED, report.problems
        steps = await lms.steps("FULL_AnchorLMS_20261127_013000.sqb")
        checks = {c["name"]: c["outcome"] for c in steps[Step.VERIFY].detail["checks"]}
        assert checks["checkdb"] == "passed"
        assert steps[Step.SWITCH].status == StepStatus.SUCCEEDED
        async with lms.clients.pg.acquire() as pg:
            pointer = await catalogue.current_loanbook(pg)
        assert pointer is not None
        assert pointer.current_database == f"{lms.prefix}_20261127_013000"
    finally:
        for connection_string in [*restored, source_db]:
            await drop_database(connection_string)


if CONFIGURED:

    async def test_a_run_restores_verifies_and_switches_on_sql_server(make_lms: MakeLms) -> None:
        await run_on_sql_server(make_lms)
