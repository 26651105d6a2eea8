"""Where OBV sends the customer back after the bank journey (no token: the browser arrives)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from ff_api.open_banking import service
from ff_api.open_banking.schemas import CallbackReceived
from ff_api.services import Services


class OpenBankingCallbackController(Controller):
    path = "/open-banking"
    tags = ["public"]
    security = []

    @get(
        "/callback",
        operation_id="open_banking_callback",
        summary="The bank journey's return address: the consent is checked at once",
        description="The answer is the same whether or not an application has the reference.",
    )
    async def callback(
        self,
        services: NamedDependency[Services],
        reference: Annotated[
            str, QueryParameter(min_length=1, max_length=64, description="OBV's consent reference")
        ],
        status: Annotated[
            str | None,
            QueryParameter(max_length=40, description="The journey's outcome, as OBV saw it"),
        ] = None,
    ) -> CallbackReceived:
        await service.callback(services, reference)
        return CallbackReceived(
            reference=reference,
            message="Thank you. We are checking your bank data; you can return to your "
            "application.",
        )
