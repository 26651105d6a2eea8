"""The customer portal's router: every route needs a customer token. The routes live in their
features (``ff_api/<feature>/customer.py``)."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from ff_api.applications.customer import ApplicationController
from ff_api.customers.customer import ProfileController
from ff_api.documents.customer import DocumentController
from ff_api.loans.customer import CustomerLoansController
from ff_api.offers.customer import OfferController
from ff_api.open_banking.customer import OpenBankingController
from ff_api.payments.customer import MandateController, RepaymentsController
from ff_api.security import customer_guard, provide_customer


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
