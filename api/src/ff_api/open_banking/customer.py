"""The customer's open banking: start a consent for an application, see where it is."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.open_banking import service
from ff_api.open_banking.schemas import OpenBankingView, open_banking_view
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.errors import NotFound
from ff_shared.stores.mongo import applications


class OpenBankingController(Controller):
    path = "/applications"
    tags = ["customer: applications"]

    @post(
        "/{application_id:str}/open-banking",
        operation_id="start_open_banking",
        summary="Connect a bank account: returns the URL that takes the customer to their bank",
        description=(
            "Starts an open-banking consent for a submitted application (201), or returns the "
            "one already in progress or completed (200). When the bank data is in, verified "
            "income and essential spending replace the declared figures and the decision is "
            "re-run as a new version."
        ),
        status_code=HTTP_201_CREATED,
    )
    async def start_open_banking(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
    ) -> Response[OpenBankingView]:
        consent, created = await service.start(services, customer, application_id)
        view = open_banking_view(consent)
        assert view is not None
        return Response(view, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/{application_id:str}/open-banking",
        operation_id="get_open_banking",
        summary="Where the application's open-banking consent is",
    )
    async def get_open_banking(
        self, customer: NamedDependency[CustomerPrincipal], application_id: FromPath[str]
    ) -> OpenBankingView:
        record = await applications.get_application(
            application_id, customer_id=customer.customer_id
        )
        view = open_banking_view(record.open_banking)
        if view is None:
            raise NotFound("open banking has not been started for this application")
        return view
