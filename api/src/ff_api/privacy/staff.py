"""Staff routes for a customer's data-protection requests: export everything held, or erase."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from ff_api.privacy import service
from ff_api.privacy.schemas import ErasureReport
from ff_api.schemas import VersionBody
from ff_api.security import StaffPrincipal
from ff_api.services import Services


class StaffPrivacyController(Controller):
    path = "/customers"
    tags = ["staff: customers"]

    @get(
        "/{customer_id:str}/export",
        operation_id="staff_export_customer",
        summary="Subject access: everything held about the customer, as one JSON document",
        opt={"permission": "customers.export"},
    )
    async def export(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
    ) -> Response[dict[str, Any]]:
        document = await service.export(services, staff, customer_id)
        return Response(
            document,
            headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'},
        )

    @post(
        "/{customer_id:str}/erase",
        operation_id="staff_erase_customer",
        summary="Erase the customer's personal data; lists what a loan record must keep",
        status_code=HTTP_200_OK,
        opt={"permission": "customers.erase"},
    )
    async def erase(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
        data: JSONBody[VersionBody],
    ) -> ErasureReport:
        return await service.erase(services, staff, customer_id, data.version)
