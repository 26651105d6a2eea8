"""The customer's side of a decision: accept or decline the offer, answer a request for
information."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK

from ff_api.applications.schemas import ApplicationView, application_response
from ff_api.headers import if_match_version
from ff_api.offers import service
from ff_api.offers.schemas import InformationResponse
from ff_api.security import CustomerPrincipal
from ff_api.services import Services

IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The application's ETag (version) you saw"),
]


class OfferController(Controller):
    path = "/applications"
    tags = ["customer: applications"]

    @post(
        "/{application_id:str}/offer/accept",
        operation_id="accept_offer",
        summary="Accept the offer: the loan is then set up (safe to repeat)",
        status_code=HTTP_200_OK,
    )
    async def accept(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        if_match: IfMatch = None,
    ) -> Response[ApplicationView]:
        record = await service.accept_offer(
            services, customer, application_id, if_match_version(if_match)
        )
        return application_response(record)

    @post(
        "/{application_id:str}/offer/decline",
        operation_id="decline_offer",
        summary="Decline the offer",
        status_code=HTTP_200_OK,
    )
    async def decline(
        self,
        customer: NamedDependency[CustomerPrincipal],
        application_id: FromPath[str],
        if_match: IfMatch = None,
    ) -> Response[ApplicationView]:
        record = await service.decline_offer(customer, application_id, if_match_version(if_match))
        return application_response(record)

    @post(
        "/{application_id:str}/information",
        operation_id="provide_information",
        summary="Tell the reviewer the information they asked for is provided",
        status_code=HTTP_200_OK,
    )
    async def provide_information(
        self,
        customer: NamedDependency[CustomerPrincipal],
        application_id: FromPath[str],
        data: JSONBody[InformationResponse],
        if_match: IfMatch = None,
    ) -> Response[ApplicationView]:
        record = await service.provide_information(
            customer, application_id, if_match_version(if_match), data
        )
        return application_response(record)
