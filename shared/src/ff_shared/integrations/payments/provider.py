"""The one adapter interface the platform uses to talk to a payment provider.

The domain and the jobs see only these provider-neutral values; a second provider is a second
class with these methods, wired in the composition root, with nothing else changed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

import msgspec

from ff_shared.domain.payments import MandateStatus, PaymentStatus


class HostedFlow(msgspec.Struct, frozen=True, kw_only=True):
    """A hosted page the customer is sent to (mandate set-up or an instant payment)."""

    request_id: str
    """The provider's id of the request the page completes (a billing request)."""
    authorisation_url: str


class RequestState(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    status: str
    mandate_id: str | None
    payment_id: str | None


class ProviderMandate(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: MandateStatus
    next_possible_charge_date: date | None
    application_id: str | None
    """From the metadata the set-up was created with."""


class ProviderPayment(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: PaymentStatus
    amount_pence: int
    charge_date: date | None
    mandate_id: str | None
    metadata: dict[str, str]


class ProviderEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    created_at: datetime
    resource_type: str
    """mandates, payments, billing_requests..."""
    action: str
    resource_id: str | None
    cause: str | None
    description: str | None


class PaymentProvider(Protocol):
    async def start_mandate_setup(
        self, *, metadata: dict[str, str], redirect_uri: str | None, idempotency_key: str
    ) -> HostedFlow: ...

    async def start_instant_payment(
        self,
        *,
        amount_pence: int,
        description: str,
        metadata: dict[str, str],
        redirect_uri: str | None,
        idempotency_key: str,
    ) -> HostedFlow: ...

    async def request_state(self, request_id: str) -> RequestState: ...

    async def mandate(self, mandate_id: str) -> ProviderMandate: ...

    async def payment(self, payment_id: str) -> ProviderPayment: ...

    async def latest_cause(self, link: str, resource_id: str, action: str) -> str | None:
        """The provider's reason for a payment's or mandate's latest ``action``."""
        ...

    async def create_collection(
        self,
        *,
        mandate_id: str,
        amount_pence: int,
        charge_date: date,
        reference: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> ProviderPayment: ...

    async def retry_payment(
        self, payment_id: str, *, charge_date: date | None
    ) -> ProviderPayment: ...

    def parse_webhook(self, body: bytes, signature: str | None) -> list[ProviderEvent]:
        """The events of a webhook whose signature is good; raises ``InvalidWebhookSignature``
        otherwise, or ``MalformedResponse`` for a signed body that is not the documented shape."""
        ...


class InvalidWebhookSignature(Exception):
    """The webhook was not signed with our endpoint's secret: it did not come from the provider."""
