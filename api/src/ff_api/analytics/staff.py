"""Staff analytics over the journey tracker: funnels, duplicate applications, daily extracts.

Every route needs ``analytics.read`` (analysts and admins). Responses carry tables and
chart-ready series (``labels`` plus one dataset per breakdown group) for the staff portal.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from ff_api.analytics import service
from ff_api.analytics.schemas import DuplicatesView, ExtractPage, FunnelView
from ff_api.analytics.service import Breakdown
from ff_api.security import StaffPrincipal
from ff_api.services import Services

DateFrom = Annotated[
    date | None,
    QueryParameter(name="from", description="First day (UTC), default 29 days before to"),
]
DateTo = Annotated[
    date | None, QueryParameter(name="to", description="Last day (UTC), default today")
]
Environment = Annotated[
    str | None, QueryParameter(description="Tracked environment (default: the deployment's)")
]


class AnalyticsController(Controller):
    path = "/analytics"
    tags = ["staff: analytics"]

    @get(
        "/funnel",
        operation_id="staff_analytics_funnel",
        summary="Funnel of a form: reach, conversion, drop-off, time and field errors per step",
        description=(
            "Sessions that started between `from` and `to` (UTC days, inclusive). A session "
            "counts at every stage up to the furthest it reached within `window_days` of its "
            "start; submitting within the window counts as converting. `breakdown` adds one "
            "funnel per traffic source or device class."
        ),
        opt={"permission": "analytics.read"},
    )
    async def funnel(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        form: Annotated[str, QueryParameter(description="Tracked form")] = "application",
        date_from: DateFrom = None,
        date_to: DateTo = None,
        window_days: Annotated[int, QueryParameter(ge=1, le=365)] = 30,
        breakdown: FromQuery[Breakdown] = "none",
        environment: Environment = None,
    ) -> FunnelView:
        return await service.funnel(
            services,
            form=form,
            date_from=date_from,
            date_to=date_to,
            window_days=window_days,
            breakdown=breakdown,
            environment=environment,
        )

    @get(
        "/duplicates",
        operation_id="staff_analytics_duplicates",
        summary="Applications sharing an e-mail, phone, device or bank account hash",
        description=(
            "Clusters of applications that share an identity hash within `window_days` of each "
            "other, with the shared signals. With `application_id`, the cluster of that one "
            "application (as the staff review shows it); otherwise every cluster with an "
            "application first seen between `from` and `to`."
        ),
        opt={"permission": "analytics.read"},
    )
    async def duplicates(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        window_days: Annotated[int | None, QueryParameter(ge=1, le=365)] = None,
        environment: Environment = None,
    ) -> DuplicatesView:
        return await service.duplicates(
            services,
            application_id=application_id,
            date_from=date_from,
            date_to=date_to,
            window_days=window_days,
            environment=environment,
        )

    @get(
        "/extracts",
        operation_id="staff_analytics_extracts",
        summary="Daily CSV extracts (sessions, funnel by day, duplicates) with download links",
        opt={"permission": "analytics.read"},
    )
    async def extracts(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        environment: Environment = None,
        before: Annotated[
            date | None, QueryParameter(description="Only days before this one")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=300)] = 30,
    ) -> ExtractPage:
        return await service.extracts(services, environment=environment, before=before, limit=limit)
