"""``/v1/staff/reports``: KPIs, portfolio and breakdown reports, their charts and exports, and
the data platform's run reports. Every route needs ``reports.read`` (analysts, operations,
admins); every figure is aggregate, and groups of fewer than five customers are withheld."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ff_api.reports import service
from ff_api.reports.schemas import (
    ReportIndex,
    ReportInfo,
    ReportView,
    RunPage,
    report_view,
    run_view,
)
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.adp import catalogue
from ff_shared.adp.reading import NoPublishedRun

PERMISSION = "reports.read"

DateFrom = Annotated[
    date | None,
    QueryParameter(name="from", description="First day of the period (default: 29 days before to)"),
]
DateTo = Annotated[
    date | None,
    QueryParameter(name="to", description="Last day of the period (default: the run's date)"),
]
AsOf = Annotated[
    date | None,
    QueryParameter(name="as_of", description="Day of a portfolio report (default: the run's date)"),
]
ImageFormat = Annotated[
    Literal["png", "svg"], QueryParameter(name="format", description="png or svg")
]
TableFormat = Annotated[
    Literal["csv", "xlsx"], QueryParameter(name="format", description="csv or xlsx")
]
Limit = Annotated[int, QueryParameter(name="limit", ge=1, le=200, description="Most recent runs")]

_MEDIA = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class StaffReportsController(Controller):
    path = "/reports"
    tags = ["staff: reports"]

    @get(
        operation_id="staff_list_reports",
        summary="The reports on offer and the pipeline run they read",
        opt={"permission": PERMISSION},
    )
    async def list_reports(
        self, staff: NamedDependency[StaffPrincipal], services: NamedDependency[Services]
    ) -> ReportIndex:
        try:
            manifest = await services.reports.data.manifest()
        except NoPublishedRun:
            manifest = None
        return ReportIndex(
            items=[
                ReportInfo(name=s.name, title=s.title, takes=s.takes)
                for s in catalogue.REPORTS.values()
            ],
            run_id=manifest.run_id if manifest else None,
            run_date=manifest.run_date if manifest else None,
            published_at=manifest.published_at if manifest else None,
        )

    @get(
        "/runs",
        operation_id="staff_list_report_runs",
        summary="The data platform's pipeline runs: rows in, out and rejected, checks, time",
        opt={"permission": PERMISSION},
    )
    async def list_runs(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        limit: Limit = 50,
    ) -> RunPage:
        return RunPage(
            items=[run_view(r) for r in await service.runs(services.reports, limit=limit)]
        )

    @get(
        "/{report:str}",
        operation_id="staff_get_report",
        summary="One report: chart-ready series, its table and its Vega-Lite chart",
        description=(
            "Period reports (KPIs, decline reasons, collections, breakdowns) take `from` and "
            "`to`; portfolio reports (arrears, roll rates, vintages, losses) take `as_of`. "
            "Money is integer pence. 409 `no_published_run` until the pipeline has published."
        ),
        opt={"permission": PERMISSION},
    )
    async def get_report(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        report: FromPath[str],
        date_from: DateFrom = None,
        date_to: DateTo = None,
        as_of: AsOf = None,
    ) -> ReportView:
        built, manifest, chart = await service.build(
            services.reports, report, date_from=date_from, date_to=date_to, as_of=as_of
        )
        return report_view(built, run_id=manifest.run_id, run_date=manifest.run_date, chart=chart)

    @get(
        "/{report:str}/chart",
        operation_id="staff_get_report_chart",
        summary="The report's chart rendered on the server, as PNG or SVG",
        opt={"permission": PERMISSION},
        media_type="image/png",
    )
    async def get_chart(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        report: FromPath[str],
        image_format: ImageFormat = "png",
        date_from: DateFrom = None,
        date_to: DateTo = None,
        as_of: AsOf = None,
    ) -> Response[bytes]:
        _built, _manifest, chart = await service.build(
            services.reports, report, date_from=date_from, date_to=date_to, as_of=as_of
        )
        return Response(
            content=await service.render(chart, image_format),
            media_type=_MEDIA[image_format],
            headers={"Content-Disposition": f'inline; filename="{report}.{image_format}"'},
        )

    @get(
        "/{report:str}/table",
        operation_id="staff_export_report_table",
        summary="The report's table as CSV or XLSX",
        opt={"permission": PERMISSION},
        media_type="text/csv",
    )
    async def export_table(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        report: FromPath[str],
        table_format: TableFormat = "csv",
        date_from: DateFrom = None,
        date_to: DateTo = None,
        as_of: AsOf = None,
    ) -> Response[bytes]:
        built, _manifest, _chart = await service.build(
            services.reports, report, date_from=date_from, date_to=date_to, as_of=as_of
        )
        return Response(
            content=service.export(built, table_format),
            media_type=_MEDIA[table_format],
            headers={"Content-Disposition": f'attachment; filename="{report}.{table_format}"'},
        )
