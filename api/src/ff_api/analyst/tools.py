"""The AI analyst's tools: the platform's aggregate queries, each with a typed input schema.

A tool returns aggregates only (counts, rates, sums by group), with every group of fewer than
five people suppressed, so nothing a tool returns can single out a customer. Inputs are checked
against their Struct before the query runs; a bad input goes back to the model as an error
result, never to the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec

from ff_api.marketing import service as marketing
from ff_api.reports import service as reports
from ff_api.services import Services
from ff_shared.adp.catalogue import REPORTS
from ff_shared.adp.insights import MIN_CUSTOMERS
from ff_shared.clock import now_utc
from ff_shared.domain.funnel import build_funnel, cluster_duplicates
from ff_shared.stores.mongo.analyst import decision_outcome_counts, outcome_counts
from ff_shared.stores.postgres import tracker as tracker_store

Days = Annotated[int, msgspec.Meta(ge=1, le=366, description="How many days back from today")]


class DaysInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    days: Days = 30


class FunnelInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    days: Days = 30
    breakdown: Literal["none", "source", "device"] = "none"


class BusinessReportInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    report: Annotated[str, msgspec.Meta(description="One of: " + ", ".join(sorted(REPORTS)))]
    period_from: date | None = None
    """First day of the period (reports over a period; default 30 days before period_to)."""
    period_to: date | None = None
    """Last day of the period (default: the latest published run's date)."""
    as_of: date | None = None
    """The day a portfolio report describes (default: the latest published run's date)."""

    def __post_init__(self) -> None:
        if self.report not in REPORTS:
            raise ValueError(f"report must be one of {sorted(REPORTS)}")


In = TypeVar("In", bound=msgspec.Struct)


@dataclass(frozen=True)
class Tool(Generic[In]):
    name: str
    description: str
    input_type: type[In]
    run: Callable[[Services, In], Awaitable[dict[str, Any]]]

    def definition(self) -> dict[str, Any]:
        schema = msgspec.json.schema(self.input_type)
        body = schema["$defs"][self.input_type.__name__]
        body.pop("title", None)
        return {"name": self.name, "description": self.description, "input_schema": body}

    async def call(self, services: Services, raw: dict[str, Any]) -> dict[str, Any]:
        return await self.run(services, msgspec.convert(raw, self.input_type))


def _shown(value: int) -> int | None:
    return value if value >= MIN_CUSTOMERS else None


def _window(days: int) -> tuple[datetime, datetime]:
    end = now_utc()
    return end - timedelta(days=days), end


async def application_outcomes(services: Services, args: DaysInput) -> dict[str, Any]:
    since, _ = _window(args.days)
    db = services.mongo[services.settings.mongo.database]
    statuses = await outcome_counts(db, since=since)
    outcomes = await decision_outcome_counts(db, since=since)
    submitted = sum(statuses.values())
    approved = sum(statuses.get(s, 0) for s in marketing.APPROVED)
    decided = approved + statuses.get("declined", 0)
    return {
        "days": args.days,
        "submitted": _shown(submitted),
        "approved": _shown(approved),
        "referred": _shown(outcomes.get("refer", 0)),
        "declined": _shown(statuses.get("declined", 0)),
        "in_review": _shown(statuses.get("in_review", 0)),
        "engine_outcomes": {k: _shown(v) for k, v in sorted(outcomes.items())},
        "approval_rate": (round(approved / decided, 4) if decided >= MIN_CUSTOMERS else None),
        "note": "counts under five are null (suppressed)",
    }


async def journey_funnel(services: Services, args: FunnelInput) -> dict[str, Any]:
    since, until = _window(args.days)
    env = services.settings.tracker.default_environment
    async with services.tracker.pool.acquire() as conn:
        groups = await tracker_store.funnel_counts(
            conn,
            environment=env,
            form="application",
            start=since,
            end=until,
            window=timedelta(days=30),
            breakdown=args.breakdown,
        )
    out: list[dict[str, Any]] = []
    for group in groups:
        funnel = build_funnel("application", group.furthest)
        out.append(
            {
                "group": group.group,
                "sessions": _shown(funnel.sessions),
                "submitted": _shown(funnel.submitted),
                "steps": [{"step": s.step, "sessions": _shown(s.sessions)} for s in funnel.steps],
            }
        )
    total = sum(g["sessions"] or 0 for g in out)
    submitted = sum(g["submitted"] or 0 for g in out)
    return {
        "days": args.days,
        "breakdown": args.breakdown,
        "sessions": _shown(total),
        "submitted": _shown(submitted),
        "groups": out,
    }


async def duplicate_clusters(services: Services, args: DaysInput) -> dict[str, Any]:
    since, until = _window(args.days)
    env = services.settings.tracker.default_environment
    window = timedelta(days=services.settings.tracker.duplicate_window_days)
    async with services.tracker.pool.acquire() as conn:
        links = await tracker_store.application_links(conn, environment=env, start=since, end=until)
    clusters = cluster_duplicates(links, window=window)
    in_clusters = sum(len(c.applications) for c in clusters)
    return {
        "days": args.days,
        "clusters": _shown(len(clusters)),
        "applications_in_clusters": _shown(in_clusters),
    }


async def marketing_paths(services: Services, args: DaysInput) -> dict[str, Any]:
    end = now_utc().astimezone(UTC).date()
    start = end - timedelta(days=args.days - 1)
    view = await marketing.paths(services, start, end)
    return {
        "days": args.days,
        "columns": view.report.table.columns,
        "rows": view.report.table.rows,
        "note": "counts under five are null (suppressed)",
    }


async def business_report(services: Services, args: BusinessReportInput) -> dict[str, Any]:
    report, manifest, _chart = await reports.build(
        services.reports,
        args.report,
        date_from=args.period_from,
        date_to=args.period_to,
        as_of=args.as_of,
    )
    return {
        "report": report.name,
        "title": report.title,
        "period_from": report.period_from,
        "period_to": report.period_to,
        "as_of": report.as_of,
        "data_as_of": manifest.run_date,
        "columns": report.table.columns,
        "rows": report.table.rows,
        "suppressed_groups": report.suppressed,
        "note": "groups of fewer than five customers are null (suppressed)",
    }


TOOLS: dict[str, Tool[Any]] = {
    tool.name: tool
    for tool in (
        Tool(
            name="application_outcomes",
            description=(
                "Applications submitted in the last N days: how many, approved, referred by the "
                "decision engine, declined, still in review, and the approval rate."
            ),
            input_type=DaysInput,
            run=application_outcomes,
        ),
        Tool(
            name="journey_funnel",
            description=(
                "The application form's funnel over the last N days from the journey tracker: "
                "sessions reaching each step and submitting, optionally by traffic source or "
                "device."
            ),
            input_type=FunnelInput,
            run=journey_funnel,
        ),
        Tool(
            name="duplicate_clusters",
            description=(
                "How many clusters of possibly duplicate applications (sharing a device, e-mail, "
                "phone or bank account hash) were seen in the last N days."
            ),
            input_type=DaysInput,
            run=duplicate_clusters,
        ),
        Tool(
            name="business_report",
            description=(
                "A report from the financial data platform (applications, decisions, loans and "
                "repayments): KPIs against the previous period, decline reasons, arrears buckets, "
                "roll rates, vintage curves, collections against schedule, default and write-off "
                "rates, and breakdowns by product, term, source and region."
            ),
            input_type=BusinessReportInput,
            run=business_report,
        ),
        Tool(
            name="marketing_paths",
            description=(
                "Per traffic source over the last N days: Google Analytics visits, form starts, "
                "submissions, approvals and funded loans."
            ),
            input_type=DaysInput,
            run=marketing_paths,
        ),
    )
}


def definitions() -> list[dict[str, Any]]:
    return [tool.definition() for tool in TOOLS.values()]
