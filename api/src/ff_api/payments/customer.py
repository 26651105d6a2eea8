"""The customer's repayments: the Direct Debit set-up for an accepted offer, what is collected
and when, every payment with its state, pay-now, and telling us about financial difficulty."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.idempotency import REPLAYED, idempotent
from ff_api.payments import service
from ff_api.payments.schemas import (
    PROVIDER_DOWN,
    DifficultyBody,
    DifficultyView,
    MandateView,
    PaymentList,
    PayNowRequest,
    PayNowView,
    RepaymentsView,
    difficulty_view,
    mandate_view,
    payment_view,
)
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.errors import FieldProblem, InvalidInput
from ff_shared.stores.postgres import forbearance

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def checked_idempotency_key(value: str | None) -> str:
    if value is None:
        raise InvalidInput(
            "a payment needs an Idempotency-Key header, so a retry never pays twice",
            errors=[FieldProblem(path="header.Idempotency-Key", message="is required")],
        )
    if not IDEMPOTENCY_KEY.match(value):
        raise InvalidInput(
            "Idempotency-Key must be 8 to 128 letters, digits or ._:-",
            errors=[FieldProblem(path="header.Idempotency-Key", message="is not a valid key")],
        )
    return value


class MandateController(Controller):
    path = "/applications/{application_id:str}/mandate"
    tags = ["customer: repayments"]

    @post(
        operation_id="start_mandate",
        summary="Set up the Direct Debit for an accepted offer: answers the provider's hosted "
        "page to send the customer to (the loan is paid out once the mandate is active)",
        status_code=HTTP_200_OK,
        responses=PROVIDER_DOWN,
    )
    async def start(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
    ) -> MandateView:
        return mandate_view(
            await service.start_mandate(services, customer.customer_id, application_id)
        )

    @get(operation_id="get_mandate", summary="The Direct Debit mandate for an application")
    async def get_mandate(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
    ) -> MandateView:
        return mandate_view(
            await service.customer_mandate(services, customer.customer_id, application_id)
        )


class RepaymentsController(Controller):
    path = "/loans/{loan_id:str}"
    tags = ["customer: repayments"]

    @get(
        "/repayments",
        operation_id="get_repayments",
        summary="The loan's mandate, upcoming collections, forbearance and payments",
    )
    async def get_repayments(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
    ) -> RepaymentsView:
        loan = await service.find_loan(services, loan_id, customer.customer_id)
        return await service.repayments(services, loan)

    @get(
        "/payments",
        operation_id="list_loan_payments",
        summary="Every payment on the loan with its state, newest first",
    )
    async def list_payments(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
    ) -> PaymentList:
        loan = await service.find_loan(services, loan_id, customer.customer_id)
        payments = await service.loan_payments(services, loan.agreement_number)
        return PaymentList(loan_id=loan_id, items=[payment_view(p) for p in payments])

    @post(
        "/payments",
        operation_id="pay_now",
        summary="Pay now through the provider's hosted page (up to the balance); the loan "
        "book changes only when the provider confirms. Repeat safely with the same key",
        status_code=HTTP_201_CREATED,
        responses=PROVIDER_DOWN,
    )
    async def pay_now(
        self,
        request: Request[Any, Any, Any],
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
        data: JSONBody[PayNowRequest],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", description="Unique per payment (8-128 chars)"),
        ] = None,
    ) -> Response[PayNowView]:
        key = checked_idempotency_key(idempotency_key)

        async def run() -> Response[Any]:
            loan = await service.find_loan(services, loan_id, customer.customer_id)
            outcome = await service.pay_now(
                services,
                loan,
                customer.customer_id,
                amount_pence=data.amount_pence,
                idempotency_key=key,
            )
            payment = outcome.payment
            assert payment.authorisation_url is not None
            # The payment itself is also keyed, so a repeat after the stored answer expired
            # still starts no second payment.
            headers = {REPLAYED: "true"} if outcome.replayed else {}
            view = PayNowView(
                payment=payment_view(payment), authorisation_url=payment.authorisation_url
            )
            return Response(view, status_code=HTTP_201_CREATED, headers=headers)

        return await idempotent(request, services, customer.customer_id, key, run)

    @post(
        "/difficulty",
        operation_id="report_difficulty",
        summary="Ask for a different collection date, or tell us you are finding it hard to pay",
        status_code=HTTP_201_CREATED,
    )
    async def report_difficulty(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        loan_id: FromPath[str],
        data: JSONBody[DifficultyBody],
    ) -> DifficultyView:
        loan = await service.find_loan(services, loan_id, customer.customer_id)
        if data.kind == "collection_date" and data.preferred_day is None:
            raise InvalidInput(
                "say which day of the month suits you",
                errors=[FieldProblem(path="preferred_day", message="is required")],
            )
        async with service.unit_of_work(services) as conn:
            request = await forbearance.insert_difficulty(
                conn,
                loan_id=loan.agreement_number,
                customer_id=customer.customer_id,
                kind=data.kind,
                preferred_day=data.preferred_day,
                message=data.message,
                now=now_utc(),
            )
        return difficulty_view(request)
