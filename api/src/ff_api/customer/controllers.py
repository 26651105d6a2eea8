"""The customer portal's routes: profile and loan applications, each needing a customer token."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, get, patch, post, put
from litestar.di import Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.customer import service
from ff_api.customer.documents import DocumentController
from ff_api.customer.offers import OfferController
from ff_api.customer.open_banking import OpenBankingController
from ff_api.customer.schemas import (
    ApplicationPage,
    ApplicationView,
    MePatch,
    MeView,
    application_view,
    me_view,
)
from ff_api.loans.customer import CustomerLoansController
from ff_api.payments.customer import MandateController, RepaymentsController
from ff_api.security import CustomerPrincipal, customer_guard, provide_customer
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.application import STEPS
from ff_shared.errors import FieldProblem, InvalidInput, MalformedBody
from ff_shared.stores.mongo import applications, customers

_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise InvalidInput(
            'If-Match must be the ETag of the application, e.g. "3"',
            errors=[FieldProblem(path="header.If-Match", message="is not a version ETag")],
        )
    return int(match.group(1))


def _with_etag(view: ApplicationView, status_code: int = HTTP_200_OK) -> Response[ApplicationView]:
    return Response(view, status_code=status_code, headers={"ETag": f'"{view.version}"'})


class ProfileController(Controller):
    path = "/me"
    tags = ["customer: profile"]

    @get(operation_id="get_me", summary="The caller's profile and settings")
    async def get_me(self, customer: CustomerPrincipal) -> MeView:
        return me_view(await service.me(customer))

    @patch(
        operation_id="update_me",
        summary="Change the caller's profile or settings (optimistic: send the version you saw)",
    )
    async def update_me(self, customer: CustomerPrincipal, data: MePatch) -> MeView:
        await service.me(customer)
        changes: dict[str, Any] = {}
        for name in ("preferred_name", "mobile"):
            value = getattr(data, name)
            if value is not msgspec.UNSET:
                changes[name] = value
        if data.settings is not msgspec.UNSET:
            for name in ("marketing_opt_in", "contact_channel", "paperless"):
                value = getattr(data.settings, name)
                if value is not msgspec.UNSET:
                    changes[f"settings.{name}"] = value
        profile = await customers.update_profile(
            customer.customer_id, expected_version=data.version, changes=changes, now=now_utc()
        )
        return me_view(profile)


class ApplicationController(Controller):
    path = "/applications"
    tags = ["customer: applications"]

    @post(
        operation_id="create_application",
        summary="Start a draft application",
        status_code=HTTP_201_CREATED,
    )
    async def create(self, customer: CustomerPrincipal) -> Response[ApplicationView]:
        record = await service.create_application(customer)
        return _with_etag(application_view(record, STEPS), HTTP_201_CREATED)

    @get(operation_id="list_applications", summary="The caller's applications, newest first")
    async def list_applications(
        self,
        customer: CustomerPrincipal,
        limit: Annotated[int, Parameter(ge=1, le=100, description="Page size")] = 20,
        cursor: Annotated[
            str | None, Parameter(description="next_cursor of the previous page")
        ] = None,
    ) -> ApplicationPage:
        before = service.decode_cursor(cursor) if cursor else None
        records = await applications.list_customer_applications(
            customer.customer_id, limit=limit + 1, before_id=before
        )
        page = records[:limit]
        return ApplicationPage(
            items=[application_view(r, STEPS) for r in page],
            next_cursor=service.encode_cursor(page[-1]) if len(records) > limit else None,
        )

    @get(
        "/{application_id:str}",
        operation_id="get_application",
        summary="One of the caller's applications",
    )
    async def get_one(
        self, customer: CustomerPrincipal, application_id: str
    ) -> Response[ApplicationView]:
        record = await applications.get_application(
            application_id, customer_id=customer.customer_id
        )
        return _with_etag(application_view(record, STEPS))

    @put(
        "/{application_id:str}/steps/{step:str}",
        operation_id="save_application_step",
        summary="Save one step, validated on save; If-Match guards against stale edits",
        status_code=HTTP_200_OK,
    )
    async def save_step(
        self,
        request: Request[Any, Any, Any],
        customer: CustomerPrincipal,
        services: Services,
        application_id: str,
        step: str,
        if_match: Annotated[str | None, Parameter(header="If-Match")] = None,
    ) -> Response[ApplicationView]:
        raw = await request.body()
        try:
            body = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise MalformedBody(str(exc)) from exc
        record = await service.save_step(
            services, customer, application_id, step, body, _expected_version(if_match)
        )
        return _with_etag(application_view(record, STEPS))

    @post(
        "/{application_id:str}/submit",
        operation_id="submit_application",
        summary="Submit for a decision; repeat safely with the same Idempotency-Key",
        status_code=HTTP_200_OK,
    )
    async def submit(
        self,
        customer: CustomerPrincipal,
        services: Services,
        application_id: str,
        idempotency_key: Annotated[str | None, Parameter(header="Idempotency-Key")] = None,
    ) -> Response[ApplicationView]:
        if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise InvalidInput(
                "Idempotency-Key must be 8 to 128 letters, digits or ._:-",
                errors=[FieldProblem(path="header.Idempotency-Key", message="is not a valid key")],
            )
        record = await service.submit(services, customer, application_id, idempotency_key)
        return _with_etag(application_view(record, STEPS))


def customer_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            ProfileController,
            ApplicationController,
            CustomerLoansController,
            OfferController,
            DocumentController,
            OpenBankingController,
            MandateController,
            RepaymentsController,
        ],
        guards=[customer_guard],
        dependencies={"customer": Provide(provide_customer)},
        security=[{"customer_token": []}],
    )
