"""Figures for people: the query rows turned into chart-ready reports, small cells suppressed.

A group of fewer than :data:`MIN_CUSTOMERS` customers is never shown: its figures become null and
the report counts what it suppressed. These reports go to staff, into e-mails and, later, to an
AI analyst; none of them may let a reader pick out a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import msgspec

from ff_shared.adp.engine import QueryEngine, Row, sql_for

MIN_CUSTOMERS = 5

Unit = Literal["count", "pence", "ratio", "hours", "days", "months"]
ChartKind = Literal["bar", "grouped_bar", "line", "heatmap"]


class Series(msgspec.Struct, kw_only=True):
    name: str
    labels: list[str]
    values: list[float | None]
    unit: Unit


class TableView(msgspec.Struct, kw_only=True):
    columns: list[str]
    rows: list[list[Any]]


class Report(msgspec.Struct, kw_only=True):
    name: str
    title: str
    chart: ChartKind
    x_title: str
    y_title: str
    series: list[Series]
    table: TableView
    period_from: date | None = None
    period_to: date | None = None
    as_of: date | None = None
    suppressed: int = 0
    """Groups left out (figures nulled) because fewer than five customers were behind them."""


def suppress(rows: Sequence[Row], values: Sequence[str]) -> tuple[list[Row], int]:
    """Rows with fewer than five customers keep their labels but lose their figures (a group of
    no one discloses nothing and keeps its zeros)."""
    out: list[Row] = []
    hidden = 0
    for row in rows:
        row = dict(row)
        customers = int(row.pop("customers", 0) or 0)
        if 0 < customers < MIN_CUSTOMERS:
            hidden += 1
            for column in values:
                row[column] = None
        out.append(row)
    return out, hidden


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal | str):
        value = float(value)
    if isinstance(value, float):
        return round(value, 6)
    return int(value) if isinstance(value, int) else value


def _label(value: Any) -> str:
    return value.isoformat()[:7] if isinstance(value, date) and value.day == 1 else str(value)


def previous_period(period_from: date, period_to: date) -> tuple[date, date]:
    length = (period_to - period_from).days + 1
    return period_from - timedelta(days=length), period_from - timedelta(days=1)


KPI_UNITS: dict[str, Unit] = {
    "applications_started": "count",
    "applications_submitted": "count",
    "approved": "count",
    "referred": "count",
    "declined": "count",
    "approval_rate": "ratio",
    "median_hours_to_decision": "hours",
    "median_days_to_funding": "days",
    "offers_accepted": "count",
    "funded_count": "count",
    "funded_volume_pence": "pence",
    "average_loan_pence": "pence",
    "average_term_months": "months",
    "portfolio_balance_pence": "pence",
}


async def kpis(engine: QueryEngine, period_from: date, period_to: date) -> Report:
    before_from, before_to = previous_period(period_from, period_to)
    now, _ = suppress(await engine.query(sql_for("kpis"), [period_from, period_to]), ["value"])
    then, _ = suppress(await engine.query(sql_for("kpis"), [before_from, before_to]), ["value"])
    previous = {r["metric"]: _num(r["value"]) for r in then}
    rows: list[list[Any]] = []
    hidden = 0
    for r in now:
        metric = r["metric"]
        value = _num(r["value"])
        before = previous.get(metric)
        hidden += value is None
        change = (
            round((value - before) / before, 6)
            if value is not None and before not in (None, 0)
            else None
        )
        rows.append([metric, KPI_UNITS[metric], value, before, change])
    counts = [r for r in rows if r[1] == "count"]
    return Report(
        name="kpis",
        title=f"KPIs {period_from} to {period_to} against the period before",
        chart="grouped_bar",
        x_title="KPI",
        y_title="count",
        series=[
            Series(
                name="this period",
                labels=[r[0] for r in counts],
                values=[r[2] for r in counts],
                unit="count",
            ),
            Series(
                name="previous period",
                labels=[r[0] for r in counts],
                values=[r[3] for r in counts],
                unit="count",
            ),
        ],
        table=TableView(columns=["metric", "unit", "value", "previous", "change"], rows=rows),
        period_from=period_from,
        period_to=period_to,
        suppressed=hidden,
    )


def _simple(
    name: str,
    title: str,
    rows: Sequence[Row],
    *,
    label: str,
    columns: Sequence[str],
    plotted: Sequence[tuple[str, Unit]],
    chart: ChartKind,
    hidden: int,
    **dates: date,
) -> Report:
    labels = [_label(r[label]) for r in rows]
    return Report(
        name=name,
        title=title,
        chart=chart,
        x_title=label.replace("_", " "),
        y_title=plotted[0][1],
        series=[
            Series(name=column, labels=labels, values=[_num(r[column]) for r in rows], unit=unit)
            for column, unit in plotted
        ],
        table=TableView(
            columns=[label, *columns],
            rows=[[_label(r[label]), *(_num(r[c]) for c in columns)] for r in rows],
        ),
        suppressed=hidden,
        **dates,
    )


async def decline_reasons(engine: QueryEngine, period_from: date, period_to: date) -> Report:
    rows, hidden = suppress(
        await engine.query(sql_for("decline_reasons"), [period_from, period_to]), ["applications"]
    )
    return _simple(
        "decline-reasons",
        f"Top decline reasons {period_from} to {period_to}",
        rows,
        label="reason",
        columns=["applications"],
        plotted=[("applications", "count")],
        chart="bar",
        hidden=hidden,
        period_from=period_from,
        period_to=period_to,
    )


async def arrears(engine: QueryEngine, as_of: date) -> Report:
    figures = ["loans", "balance_pence", "arrears_pence"]
    rows, hidden = suppress(await engine.query(sql_for("arrears_buckets"), [as_of, as_of]), figures)
    return _simple(
        "arrears",
        f"Open loans by arrears bucket at {as_of}",
        rows,
        label="bucket",
        columns=figures,
        plotted=[("loans", "count")],
        chart="bar",
        hidden=hidden,
        as_of=as_of,
    )


async def roll_rates(engine: QueryEngine, as_of: date) -> Report:
    rows, hidden = suppress(await engine.query(sql_for("roll_rates"), [as_of]), ["loans", "rate"])
    by_from: dict[str, list[Row]] = {}
    for r in rows:
        by_from.setdefault(r["from_bucket"], []).append(r)
    return Report(
        name="roll-rates",
        title=f"Roll rates between month ends, twelve months to {as_of}",
        chart="heatmap",
        x_title="to bucket",
        y_title="from bucket",
        series=[
            Series(
                name=origin,
                labels=[r["to_bucket"] for r in group],
                values=[_num(r["rate"]) for r in group],
                unit="ratio",
            )
            for origin, group in by_from.items()
        ],
        table=TableView(
            columns=["from_bucket", "to_bucket", "loans", "rate"],
            rows=[
                [r["from_bucket"], r["to_bucket"], _num(r["loans"]), _num(r["rate"])] for r in rows
            ],
        ),
        as_of=as_of,
        suppressed=hidden,
    )


async def vintages(engine: QueryEngine, as_of: date) -> Report:
    rows, hidden = suppress(
        await engine.query(sql_for("vintages"), [as_of]), ["loans", "arrears_rate", "default_rate"]
    )
    by_vintage: dict[str, list[Row]] = {}
    for r in rows:
        by_vintage.setdefault(_label(r["origination_month"]), []).append(r)
    return Report(
        name="vintages",
        title=f"Cumulative default rate by origination month, at {as_of}",
        chart="line",
        x_title="months on book",
        y_title="ratio",
        series=[
            Series(
                name=vintage,
                labels=[str(r["months_on_book"]) for r in group],
                values=[_num(r["default_rate"]) for r in group],
                unit="ratio",
            )
            for vintage, group in by_vintage.items()
        ],
        table=TableView(
            columns=[
                "origination_month",
                "months_on_book",
                "loans",
                "arrears_rate",
                "default_rate",
            ],
            rows=[
                [
                    _label(r["origination_month"]),
                    _num(r["months_on_book"]),
                    _num(r["loans"]),
                    _num(r["arrears_rate"]),
                    _num(r["default_rate"]),
                ]
                for r in rows
            ],
        ),
        as_of=as_of,
        suppressed=hidden,
    )


async def collections(engine: QueryEngine, period_from: date, period_to: date) -> Report:
    figures = ["scheduled_pence", "collected_pence", "collection_rate"]
    rows, hidden = suppress(
        await engine.query(
            sql_for("collections"), [period_from, period_to, period_from, period_to]
        ),
        figures,
    )
    return _simple(
        "collections",
        f"Collections against schedule {period_from} to {period_to}",
        rows,
        label="month",
        columns=figures,
        plotted=[("scheduled_pence", "pence"), ("collected_pence", "pence")],
        chart="grouped_bar",
        hidden=hidden,
        period_from=period_from,
        period_to=period_to,
    )


async def losses(engine: QueryEngine, as_of: date) -> Report:
    figures = ["loans", "advanced_pence", "default_rate", "write_off_rate", "write_off_volume_rate"]
    rows, hidden = suppress(await engine.query(sql_for("losses"), [as_of, as_of, as_of]), figures)
    return _simple(
        "losses",
        f"Default and write-off rates by origination quarter, at {as_of}",
        rows,
        label="quarter",
        columns=figures,
        plotted=[("default_rate", "ratio"), ("write_off_rate", "ratio")],
        chart="grouped_bar",
        hidden=hidden,
        as_of=as_of,
    )


async def breakdown(
    engine: QueryEngine, dimension: str, period_from: date, period_to: date
) -> Report:
    figures = ["submitted", "approved", "approval_rate", "funded", "funded_pence", "arrears_rate"]
    # Each part of a group (its applications, its new loans, its open book) is a different set
    # of customers: each part's figures are withheld on its own count.
    parts = {
        "application_customers": ["submitted", "approved", "approval_rate"],
        "loan_customers": ["funded", "funded_pence"],
        "book_customers": ["arrears_rate"],
    }
    rows = []
    hidden = 0
    for row in await engine.query(
        sql_for("breakdown", dimension),
        [period_from, period_to, period_from, period_to, period_to],
    ):
        withheld = False
        for count, columns in parts.items():
            (row,), part_hidden = suppress([{**row, "customers": row.pop(count)}], columns)
            withheld = withheld or bool(part_hidden)
        hidden += withheld
        rows.append(row)
    return _simple(
        f"breakdown-{dimension}",
        f"By {dimension}, {period_from} to {period_to}",
        rows,
        label="group",
        columns=figures,
        plotted=[("funded_pence", "pence")],
        chart="bar",
        hidden=hidden,
        period_from=period_from,
        period_to=period_to,
    )
