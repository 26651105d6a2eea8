"""Staff routes of marketing analytics (``analytics.read``: analysts and admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ff_api.marketing import service
from ff_api.marketing.schemas import MarketingReportView
from ff_api.security import StaffPrincipal
from ff_api.services import Services

DateFrom = Annotated[
    date | None,
    QueryParameter(name="from", description="First day (UTC), default 29 days before `to`"),
]
DateTo = Annotated[
    date | None, QueryParameter(name="to", description="Last day (UTC), default today")
]


class MarketingController(Controller):
    path = "/marketing"
    tags = ["staff: marketing"]

    @get(
        "/{report:str}",
        operation_id="staff_marketing_report",
        summary="A marketing report from Google Analytics, joined with the platform's journeys",
        description=(
            "`sources`: sessions, engaged sessions and key events by source, medium and "
            "campaign; `trend`: the same by day; `devices`; `landing_pages`; `paths`: per "
            "traffic source, visits (GA) then form starts and submissions (journey tracker), "
            "approvals and funded loans (applications). Counts under five are null. GA answers "
            "are cached; `quota` shows what is left of the property's quota, and a spent quota "
            "is a 429 `analytics_quota_exhausted` problem."
        ),
        opt={"permission": "analytics.read"},
    )
    async def report(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        report: FromPath[service.ReportName],
        date_from: DateFrom = None,
        date_to: DateTo = None,
    ) -> MarketingReportView:
        start, end = service.period(date_from, date_to)
        return await service.marketing_report(services, report, start, end)
