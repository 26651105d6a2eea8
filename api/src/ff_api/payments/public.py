"""``POST /v1/payments/webhooks``: the payment provider's signed webhooks."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from ff_api.payments import service
from ff_api.payments.schemas import problem_response
from ff_api.services import Services


class PaymentWebhookController(Controller):
    path = "/payments/webhooks"
    tags = ["public: payment provider"]

    @post(
        operation_id="receive_payment_webhook",
        summary="The provider's events, signed with HMAC-SHA256 in Webhook-Signature; each is "
        "stored once by its id, then processed on the worker",
        status_code=HTTP_204_NO_CONTENT,
        security=[],
        responses={
            498: problem_response("The signature does not match the body (`invalid_signature`)")
        },
    )
    async def receive(
        self,
        request: Request,  # type: ignore[type-arg]
        services: NamedDependency[Services],
        signature: Annotated[
            str | None,
            HeaderParameter(name="Webhook-Signature", description="Hex HMAC-SHA256 of the body"),
        ] = None,
    ) -> None:
        await service.receive_webhook(services, await request.body(), signature)
