"""The customer's applications: start a draft, save its steps, submit it for a decision."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.applications import service
from ff_api.applications.schemas import ApplicationPage, ApplicationView, application_response
from ff_api.headers import checked_idempotency_key, if_match_version
from ff_api.idempotency import idempotent
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.errors import MalformedBody


class ApplicationController(Controller):
    path = "/applications"
    tags = ["customer: applications"]

    @post(
        operation_id="create_application",
        summary="Start a draft application",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self, customer: NamedDependency[CustomerPrincipal], services: NamedDependency[Services]
    ) -> Response[ApplicationView]:
        record = await service.create_application(services, customer)
        return application_response(record, HTTP_201_CREATED)

    @get(operation_id="list_applications", summary="The caller's applications, newest first")
    async def list_applications(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="Page size")] = 20,
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the previous page")
        ] = None,
    ) -> ApplicationPage:
        return await service.list_applications(services, customer, limit=limit, cursor=cursor)

    @get(
        "/{application_id:str}",
        operation_id="get_application",
        summary="One of the caller's applications",
    )
    async def get_one(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
    ) -> Response[ApplicationView]:
        record = await services.applications.get(application_id, customer_id=customer.customer_id)
        return application_response(record)

    @put(
        "/{application_id:str}/steps/{step:str}",
        operation_id="save_application_step",
        summary="Save one step, validated on save; If-Match guards against stale edits",
        status_code=HTTP_200_OK,
    )
    async def save_step(
        self,
        request: Request[Any, Any, Any],
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        step: FromPath[str],
        if_match: Annotated[str | None, HeaderParameter(name="If-Match")] = None,
    ) -> Response[ApplicationView]:
        raw = await request.body()
        try:
            body = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise MalformedBody(str(exc)) from exc
        record = await service.save_step(
            services, customer, application_id, step, body, if_match_version(if_match)
        )
        return application_response(record)

    @post(
        "/{application_id:str}/submit",
        operation_id="submit_application",
        summary="Submit for a decision; repeat safely with the same Idempotency-Key",
        status_code=HTTP_200_OK,
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> Response[ApplicationView]:
        if idempotency_key is not None:
            checked_idempotency_key(idempotency_key)

        async def run() -> Response[Any]:
            record = await service.submit(services, customer, application_id, idempotency_key)
            return application_response(record)

        return await idempotent(request, services, customer.customer_id, idempotency_key, run)
