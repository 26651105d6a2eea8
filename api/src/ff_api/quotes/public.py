"""``POST /v1/quotes``: price a loan, no token needed."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from ff_api.quotes.schemas import QuoteRequest
from ff_api.services import Services
from ff_shared.clock import london_today
from ff_shared.domain.pricing import OutsideProductError, Quote, quote
from ff_shared.errors import FieldProblem, InvalidInput


class QuoteController(Controller):
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
