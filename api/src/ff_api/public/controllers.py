"""Routes that need no token: the loan calculator and the application form's description."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from ff_api.services import Services
from ff_shared.clock import london_today
from ff_shared.domain.application import STEPS, example_for, step_json_schema
from ff_shared.domain.pricing import OutsideProductError, Quote, quote
from ff_shared.domain.product import LoanProduct
from ff_shared.errors import FieldProblem, InvalidInput


class QuoteRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount_pence: Annotated[
        int, msgspec.Meta(ge=1, le=100_000_000, description="Loan amount in pence")
    ]
    term_months: Annotated[int, msgspec.Meta(ge=1, le=600, description="Term in whole months")]


class FormStep(msgspec.Struct, kw_only=True):
    name: str
    position: int
    json_schema: dict[str, Any]
    example: dict[str, Any]


class ApplicationForm(msgspec.Struct, kw_only=True):
    steps: list[FormStep]
    product: LoanProduct


class PublicController(Controller):
    tags = ["public"]
    security = []

    @post(
        "/quotes",
        operation_id="create_quote",
        summary="Price a loan: instalment, totals, APR and the repayment schedule",
        status_code=HTTP_200_OK,
    )
    async def create_quote(
        self, data: JSONBody[QuoteRequest], services: NamedDependency[Services]
    ) -> Quote:
        try:
            return quote(services.product, data.amount_pence, data.term_months, london_today())
        except OutsideProductError as exc:
            raise InvalidInput(
                exc.message, errors=[FieldProblem(path=exc.field, message=exc.message)]
            ) from exc

    @get(
        "/application-form",
        operation_id="describe_application_form",
        summary="The application's steps in order, each with its JSON Schema and a valid example",
    )
    async def application_form(self, services: NamedDependency[Services]) -> ApplicationForm:
        p = services.product
        return ApplicationForm(
            steps=[
                FormStep(
                    name=step,
                    position=i,
                    json_schema=step_json_schema(step, product=p),
                    example=example_for(step),
                )
                for i, step in enumerate(STEPS, start=1)
            ],
            product=p,
        )
