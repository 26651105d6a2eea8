"""``/v1/me``: the calling customer's profile and settings."""

from __future__ import annotations

from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody

from ff_api.customers import service
from ff_api.customers.schemas import MePatch, MeView, me_view
from ff_api.security import CustomerPrincipal


class ProfileController(Controller):
    path = "/me"
    tags = ["customer: profile"]

    @get(operation_id="get_me", summary="The caller's profile and settings")
    async def get_me(self, customer: NamedDependency[CustomerPrincipal]) -> MeView:
        return me_view(await service.me(customer))

    @patch(
        operation_id="update_me",
        summary="Change the caller's profile or settings (optimistic: send the version you saw)",
    )
    async def update_me(
        self, customer: NamedDependency[CustomerPrincipal], data: JSONBody[MePatch]
    ) -> MeView:
        return me_view(await service.update_me(customer, data))
