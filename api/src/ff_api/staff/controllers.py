"""The staff portal's router: each handler declares its permission in ``opt``; the guard checks."""

from __future__ import annotations

import msgspec
from litestar import Controller, Router, get
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from ff_api.loans.staff import StaffCustomerLoansController
from ff_api.payments.staff import StaffRepaymentsController
from ff_api.security import StaffPrincipal, provide_staff, staff_guard
from ff_api.staff.analytics import AnalyticsController
from ff_api.staff.applications import StaffApplicationController
from ff_api.staff.audit import StaffAuditController
from ff_api.staff.customers import StaffCustomerController
from ff_api.staff.documents import StaffDocumentController
from ff_api.staff.ops_lms import LmsOpsController
from ff_shared.domain.permissions import permissions_of


class StaffMe(msgspec.Struct, kw_only=True):
    id: str
    username: str
    roles: list[str]
    permissions: list[str]


class StaffSelfController(Controller):
    path = "/me"
    tags = ["staff: self"]

    @get(
        operation_id="staff_get_me",
        summary="The calling staff member, roles and permissions",
        opt={"permission": "staff.self"},
    )
    async def me(self, staff: StaffPrincipal) -> StaffMe:
        return StaffMe(
            id=staff.staff_id,
            username=staff.username,
            roles=sorted(r.value for r in staff.roles),
            permissions=permissions_of(staff.roles),
        )


# Features add their staff controllers here.
STAFF_HANDLERS: list[ControllerRouterHandler] = [
    StaffSelfController,
    AnalyticsController,
    StaffApplicationController,
    StaffCustomerController,
    StaffDocumentController,
    StaffAuditController,
    StaffCustomerLoansController,
    LmsOpsController,
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
