"""The pipeline over real sources: a published run, an idempotent rerun, an incremental run
that picks up one new payment, a payment the LMS reverses netted out of collections and
arrears, and a reconciliation failure that leaves the previous run in place with a failed
report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import aioboto3
import aioodbc
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from aiohttp import web

from ff_shared.adp import schema
from ff_shared.adp.catalogue import REPORTS, build_report
from ff_shared.adp.engine import DuckDbEngine
from ff_shared.adp.history import month_end
from ff_shared.adp.insights import arrears, collections, kpis
from ff_shared.adp.runs import RunReport
from ff_shared.clock import london_today, now_utc
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.settings import AnchorLmsSettings, Settings
from ff_shared.stores.postgres import adp as pg_store
from ff_standins.adp_portfolio import DemoPortfolio
from ff_standins.anchor_lms.simulator import Credentials, create_app
from ff_standins.loanbook.ledger import record_payment
from ff_standins.servers import free_port
from ff_workers.adp.extract import AGREEMENTS, APPLICATIONS, JOURNEYS, TRANSACTIONS
from ff_workers.adp.pipeline import Pipeline, RunFailed, run_pipeline

pytestmark = pytest.mark.asyncio(loop_scope="session")

LMS_CREDENTIALS = Credentials(username="adp", user_id="9", password="adp-test-pw")


@pytest.fixture(scope="module")
async def lms(adp_settings: Settings) -> AsyncIterator[AnchorLmsClient]:
    """The Anchor simulator booking into the pipeline's loan book, and the platform's client."""
    port = free_port()
    runner = web.AppRunner(
        create_app(
            credentials=LMS_CREDENTIALS,
            loanbook_connection_string=adp_settings.loanbook.connection_string,
        )
    )
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    settings = AnchorLmsSettings(
        base_url=f"http://127.0.0.1:{port}/AnchorCollections.svc",
        username=LMS_CREDENTIALS.username,
        user_id=LMS_CREDENTIALS.user_id,
        password=LMS_CREDENTIALS.password,
        timeout_seconds=10.0,
        backoff_seconds=0.01,
    )
    try:
        async with AnchorLmsClient(settings) as client:
            yield client
    finally:
        await runner.cleanup()


def _sorted(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return {
        name: table.sort_by([(k, "ascending") for k in schema.BY_NAME[name].key])
        for name, table in tables.items()
    }


async def test_a_run_publishes_every_table_reconciled_with_its_sources(
    pipeline: Pipeline, seeded: DemoPortfolio
) -> None:
    day = london_today() - timedelta(days=1)
    report = await run_pipeline(pipeline, day, trigger="test")
    assert report.status == "published"
    assert report.failed_checks == []
    assert report.rows_in[APPLICATIONS] == len(seeded.applications)
    assert report.rows_in[AGREEMENTS] == len(seeded.agreements)
    assert report.rows_in[TRANSACTIONS] == len(seeded.transactions)
    assert report.rows_in[JOURNEYS] == len(seeded.sessions)
    assert report.rows_out["fact_loans"] == len(seeded.agreements)
    assert report.rows_out["fact_instalments"] == len(seeded.instalments)
    assert report.rows_out["fact_applications"] == len(seeded.applications)
    assert report.rows_out["fact_arrears_daily"] > 0
    assert report.rows_rejected == {}
    names = {c.name for c in report.checks}
    assert {"money:balance_pence", "rows:fact_loans", "unique:fact_loans"} <= names
    manifest = pipeline.lake.read_manifest()
    assert manifest is not None
    assert manifest.run_id == report.run_id
    # Athena's tables now read this run's Parquet.
    aws = pipeline.settings.aws
    async with aioboto3.Session(region_name=aws.region).client(
        "glue", endpoint_url=aws.endpoint_url
    ) as glue:
        tables = (await glue.get_tables(DatabaseName=pipeline.settings.adp.glue_database))[
            "TableList"
        ]
    assert {t["Name"]: t["StorageDescriptor"]["Location"] for t in tables} == {
        name: f"s3://{location.path}/" for name, location in manifest.tables.items()
    }
    async with pipeline.pg.acquire() as conn:
        stored = await pg_store.get_run(conn, report.run_id)
    assert stored is not None
    assert stored.status == "published"
    assert stored.rows_out == report.rows_out
    engine = DuckDbEngine(pipeline.lake.read_tables(manifest))
    figures = await kpis(engine, day - timedelta(days=400), day)
    values = {r[0]: r[2] for r in figures.table.rows}
    assert values["funded_count"] == len(seeded.agreements)
    assert (await arrears(engine, day)).table.rows


async def test_a_rerun_reads_nothing_new_and_publishes_the_same_tables(
    pipeline: Pipeline,
) -> None:
    day = london_today() - timedelta(days=1)
    before = pipeline.lake.read_manifest()
    assert before is not None
    report = await run_pipeline(pipeline, day, trigger="test")
    after = pipeline.lake.read_manifest()
    assert after is not None
    assert after.run_id == report.run_id != before.run_id
    old = _sorted(pipeline.lake.read_tables(before))
    new = _sorted(pipeline.lake.read_tables(after))
    assert all(new[name].equals(old[name]) for name in old)
    # Only rows at the watermark itself are read again (the watermark is inclusive).
    assert report.rows_in[AGREEMENTS] < 5
    assert after.watermarks == before.watermarks


async def test_a_new_payment_is_picked_up_incrementally(
    pipeline: Pipeline, adp_loanbook: aioodbc.Connection
) -> None:
    async with adp_loanbook.cursor() as cur:
        await cur.execute(
            "SELECT AgreementNumber FROM Agreements WHERE Status = 'Live' ORDER BY AgreementId"
        )
        number = str((await cur.fetchone())[0])
    today = london_today()
    await record_payment(
        adp_loanbook,
        agreement_number=number,
        amount_pence=1_234,
        reference=f"TEST-{number}",
        payment_date=today,
        today=today,
        now=now_utc(),
    )
    before = pipeline.lake.read_manifest()
    assert before is not None
    report = await run_pipeline(pipeline, today, trigger="test")
    assert 1 <= report.rows_in[TRANSACTIONS] < 5
    assert 1 <= report.rows_in[AGREEMENTS] < 5
    assert report.rows_out["fact_payments"] == before.tables["fact_payments"].rows + 1


async def _collected_this_month(pipeline: Pipeline, today: date) -> int:
    manifest = pipeline.lake.read_manifest()
    assert manifest is not None
    engine = DuckDbEngine(pipeline.lake.read_tables(manifest))
    report = await collections(engine, today.replace(day=1), month_end(today))
    [row] = report.table.rows
    assert row[0] == f"{today:%Y-%m}"
    collected = row[2]
    assert isinstance(collected, int)
    return collected


def _loan_figures(pipeline: Pipeline, number: str, today: date) -> tuple[int, int, int]:
    """The loan's paid to date in fact_loans and today's arrears snapshot, and its reversals."""
    manifest = pipeline.lake.read_manifest()
    assert manifest is not None
    tables = pipeline.lake.read_tables(manifest)
    loans = tables["fact_loans"].filter(pc.equal(tables["fact_loans"]["agreement_number"], number))
    snapshots = tables["fact_arrears_daily"]
    snapshot = snapshots.filter(
        pc.and_(
            pc.equal(snapshots["agreement_number"], number),
            pc.equal(snapshots["snapshot_date"], pa.scalar(today, pa.date32())),
        )
    )
    payments = tables["fact_payments"]
    reversals = payments.filter(
        pc.and_(
            pc.equal(payments["agreement_number"], number),
            pc.equal(payments["type"], "payment_reversal"),
        )
    )
    [paid] = loans["paid_pence"].to_pylist()
    [snapshot_paid] = snapshot["paid_pence"].to_pylist()
    return int(paid), int(snapshot_paid), reversals.num_rows


async def test_a_payment_the_lms_reverses_is_netted_out_of_collections_and_arrears(
    pipeline: Pipeline, adp_loanbook: aioodbc.Connection, lms: AnchorLmsClient
) -> None:
    async with adp_loanbook.cursor() as cur:
        await cur.execute(
            "SELECT AgreementNumber FROM Agreements WHERE Status = 'Live' ORDER BY AgreementId DESC"
        )
        number = str((await cur.fetchone())[0])
    today = london_today()
    await run_pipeline(pipeline, today, trigger="test")
    collected = await _collected_this_month(pipeline, today)
    paid, snapshot_paid, _ = _loan_figures(pipeline, number, today)

    await lms.record_payment(
        number, amount_pence=4_321, payment_date=today, reference=f"CB-{number}"
    )
    counted = await run_pipeline(pipeline, today, trigger="test")
    assert counted.failed_checks == []
    assert await _collected_this_month(pipeline, today) == collected + 4_321
    assert _loan_figures(pipeline, number, today) == (paid + 4_321, snapshot_paid + 4_321, 0)

    reversal = await lms.reverse_payment(
        number, reference=f"CB-{number}", reversal_date=today, reason="charged_back"
    )
    assert reversal.amount_pence == 4_321
    report = await run_pipeline(pipeline, today, trigger="test")
    assert report.status == "published"
    assert report.rows_rejected == {}
    assert report.failed_checks == []
    assert report.rows_in[TRANSACTIONS] >= 1
    # The loan book's own sum nets the reversal too, and the lake agrees with it.
    assert _payments_check(report) == _payments_check(counted) - 4_321
    assert await _collected_this_month(pipeline, today) == collected
    assert _loan_figures(pipeline, number, today) == (paid, snapshot_paid, 1)


def _payments_check(report: RunReport) -> int:
    [check] = [c for c in report.checks if c.name == "money:payments_pence"]
    assert check.passed
    assert isinstance(check.expected, int)
    return check.expected


async def test_a_balance_that_does_not_reconcile_fails_the_run_and_keeps_the_previous(
    pipeline: Pipeline, adp_loanbook: aioodbc.Connection
) -> None:
    before = pipeline.lake.read_manifest()
    assert before is not None
    # A change the LMS made without touching UpdatedAt: the incremental read cannot see it,
    # and the lake's balances no longer add up to the loan book's.
    async with adp_loanbook.cursor() as cur:
        await cur.execute(
            "UPDATE Agreements SET Balance = Balance + 1.00 WHERE AgreementId ="
            " (SELECT MIN(AgreementId) FROM Agreements WHERE UpdatedAt <"
            " (SELECT MAX(UpdatedAt) FROM Agreements))"
        )
    try:
        with pytest.raises(RunFailed) as failed:
            await run_pipeline(pipeline, london_today(), trigger="test")
    finally:
        async with adp_loanbook.cursor() as cur:
            await cur.execute(
                "UPDATE Agreements SET Balance = Balance - 1.00 WHERE AgreementId ="
                " (SELECT MIN(AgreementId) FROM Agreements WHERE UpdatedAt <"
                " (SELECT MAX(UpdatedAt) FROM Agreements))"
            )
    report = failed.value.report
    assert report.status == "failed"
    assert [c.name for c in report.failed_checks] == ["money:balance_pence"]
    check = report.failed_checks[0]
    assert isinstance(check.expected, int)
    assert isinstance(check.actual, int)
    assert check.expected - check.actual == 100
    after = pipeline.lake.read_manifest()
    assert after == before
    async with pipeline.pg.acquire() as conn:
        runs = await pg_store.list_runs(conn)
    assert runs[0].run_id == report.run_id
    assert runs[0].status == "failed"
    assert runs[0].error is not None
    assert "check" in runs[0].error


async def test_every_report_shows_something_for_the_seeded_portfolio(pipeline: Pipeline) -> None:
    manifest = pipeline.lake.read_manifest()
    assert manifest is not None
    engine = DuckDbEngine(pipeline.lake.read_tables(manifest))
    day = manifest.run_date
    empty = []
    for name in REPORTS:
        report = await build_report(
            engine, name, period_from=day - timedelta(days=365), period_to=day, as_of=day
        )
        if not any(v is not None for s in report.series for v in s.values):
            empty.append(name)
    assert empty == []
