"""The staff portal's router: each handler declares its permission in ``opt``; the guard checks.
The routes live in their features (``ff_api/<feature>/staff.py``)."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from ff_api.analyst.staff import AnalystController
from ff_api.analytics.staff import AnalyticsController
from ff_api.applications.staff import StaffApplicationController
from ff_api.audit.staff import StaffAuditController
from ff_api.customers.staff import StaffCustomerController
from ff_api.documents.staff import StaffDocumentController
from ff_api.loans.staff import StaffCustomerLoansController
from ff_api.marketing.staff import MarketingController
from ff_api.ops.staff import LmsOpsController
from ff_api.payments.staff import StaffRepaymentsController
from ff_api.permissions.staff import StaffSelfController
from ff_api.privacy.staff import StaffPrivacyController
from ff_api.reports.staff import StaffReportsController
from ff_api.security import provide_staff, staff_guard

# Features add their staff controllers here.
STAFF_HANDLERS: list[ControllerRouterHandler] = [
    StaffSelfController,
    AnalyticsController,
    StaffApplicationController,
    StaffCustomerController,
    StaffPrivacyController,
    StaffDocumentController,
    StaffAuditController,
    StaffCustomerLoansController,
    LmsOpsController,
    MarketingController,
    AnalystController,
    StaffReportsController,
    StaffRepaymentsController,
]


def staff_router() -> Router:
    return Router(
        path="/staff",
        route_handlers=STAFF_HANDLERS,
        guards=[staff_guard],
        dependencies={"staff": Provide(provide_staff)},
        security=[{"staff_token": []}],
    )
