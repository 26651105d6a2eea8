"""``/v1/staff/me``: the calling staff member, with what their roles allow."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from ff_api.permissions.schemas import StaffMe
from ff_api.security import StaffPrincipal
from ff_shared.domain.permissions import permissions_of


class StaffSelfController(Controller):
    path = "/me"
    tags = ["staff: self"]

    @get(
        operation_id="staff_get_me",
        summary="The calling staff member, roles and permissions",
        opt={"permission": "staff.self"},
    )
    async def me(self, staff: NamedDependency[StaffPrincipal]) -> StaffMe:
        return StaffMe(
            id=staff.staff_id,
            username=staff.username,
            roles=sorted(r.value for r in staff.roles),
            permissions=permissions_of(staff.roles),
        )
