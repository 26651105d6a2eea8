"""The reports by name: what each is called, whether it takes a period or a day, and its builder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

import msgspec

from ff_shared.adp.engine import BREAKDOWNS, QueryEngine
from ff_shared.adp.insights import (
    Report,
    arrears,
    breakdown,
    collections,
    decline_reasons,
    kpis,
    losses,
    roll_rates,
    vintages,
)


class ReportSpec(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    title: str
    takes: Literal["period", "as_of"]
    build: Callable[..., Any]


def _breakdown_for(dimension: str) -> Callable[..., Any]:
    async def build(engine: QueryEngine, period_from: date, period_to: date) -> Report:
        return await breakdown(engine, dimension, period_from, period_to)

    return build


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in [
        ReportSpec(
            name="kpis", title="KPIs against the previous period", takes="period", build=kpis
        ),
        ReportSpec(
            name="decline-reasons",
            title="Top decline reasons",
            takes="period",
            build=decline_reasons,
        ),
        ReportSpec(name="arrears", title="Arrears buckets", takes="as_of", build=arrears),
        ReportSpec(name="roll-rates", title="Roll rates", takes="as_of", build=roll_rates),
        ReportSpec(name="vintages", title="Vintage curves", takes="as_of", build=vintages),
        ReportSpec(
            name="collections",
            title="Collections against schedule",
            takes="period",
            build=collections,
        ),
        ReportSpec(name="losses", title="Default and write-off rates", takes="as_of", build=losses),
        *(
            ReportSpec(
                name=f"breakdown-{d}",
                title=f"Breakdown by {d}",
                takes="period",
                build=_breakdown_for(d),
            )
            for d in BREAKDOWNS
        ),
    ]
}
"""Every report the staff routes, exports and the weekly e-mail offer, by name."""


async def build_report(
    engine: QueryEngine, name: str, *, period_from: date, period_to: date, as_of: date
) -> Report:
    spec = REPORTS[name]
    if spec.takes == "period":
        report: Report = await spec.build(engine, period_from, period_to)
    else:
        report = await spec.build(engine, as_of)
    return report
