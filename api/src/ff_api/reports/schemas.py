"""The staff portal's report responses: chart-ready series, the table, and the chart itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

from ff_shared.adp.insights import Report
from ff_shared.adp.runs import RunReport


class SeriesView(msgspec.Struct, kw_only=True):
    name: str
    labels: list[str]
    values: list[float | None]
    """One per label; null where a group of fewer than five customers was suppressed."""
    unit: str
    """count, pence, ratio, hours, days or months."""


class TableView(msgspec.Struct, kw_only=True):
    columns: list[str]
    rows: list[list[Any]]


class ReportView(msgspec.Struct, kw_only=True):
    name: str
    title: str
    date_from: date | None = msgspec.field(name="from")
    date_to: date | None = msgspec.field(name="to")
    as_of: date | None
    run_id: str
    """The published pipeline run the figures come from."""
    run_date: date
    suppressed: int
    """Groups whose figures are withheld because fewer than five customers were behind them."""
    series: list[SeriesView]
    table: TableView
    chart: dict[str, Any]
    """The chart as a Vega-Lite v5 specification with its data inline: draw it as it is."""


class ReportInfo(msgspec.Struct, kw_only=True):
    name: str
    title: str
    takes: Literal["period", "as_of"]
    """``period``: `from` and `to`; ``as_of``: one day."""


class ReportIndex(msgspec.Struct, kw_only=True):
    items: list[ReportInfo]
    run_id: str | None
    run_date: date | None
    published_at: datetime | None


class CheckView(msgspec.Struct, kw_only=True):
    name: str
    passed: bool
    expected: int | str | None
    actual: int | str | None
    detail: str


class RunView(msgspec.Struct, kw_only=True):
    run_id: str
    run_date: date
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    rows_in: dict[str, int]
    rows_out: dict[str, int]
    rows_rejected: dict[str, int]
    checks_run: int
    failed_checks: list[CheckView]
    error: str | None


class RunPage(msgspec.Struct, kw_only=True):
    items: list[RunView]


def report_view(
    report: Report, *, run_id: str, run_date: date, chart: dict[str, Any]
) -> ReportView:
    return ReportView(
        name=report.name,
        title=report.title,
        date_from=report.period_from,
        date_to=report.period_to,
        as_of=report.as_of,
        run_id=run_id,
        run_date=run_date,
        suppressed=report.suppressed,
        series=[
            SeriesView(name=s.name, labels=s.labels, values=s.values, unit=s.unit)
            for s in report.series
        ],
        table=TableView(columns=report.table.columns, rows=report.table.rows),
        chart=chart,
    )


def run_view(run: RunReport) -> RunView:
    return RunView(
        run_id=run.run_id,
        run_date=run.run_date,
        trigger=run.trigger,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_seconds=run.duration_seconds,
        rows_in=run.rows_in,
        rows_out=run.rows_out,
        rows_rejected=run.rows_rejected,
        checks_run=len(run.checks),
        failed_checks=[
            CheckView(
                name=c.name, passed=c.passed, expected=c.expected, actual=c.actual, detail=c.detail
            )
            for c in run.failed_checks
        ],
        error=run.error,
    )
