"""The provider's wire shapes (GoCardless API, version 2015-07-06), as msgspec Structs.

Bodies wrap the resource in its plural name (``{"payments": {...}}``); amounts are integer
minor units; dates are ISO dates. Unknown fields are ignored so additive API changes are safe.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

API_VERSION = "2015-07-06"


class MandateLinks(msgspec.Struct, kw_only=True):
    customer: str | None = None
    customer_bank_account: str | None = None
    creditor: str | None = None


class Mandate(msgspec.Struct, kw_only=True):
    id: str
    created_at: datetime
    status: str
    scheme: str = "bacs"
    reference: str | None = None
    next_possible_charge_date: date | None = None
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    links: MandateLinks = msgspec.field(default_factory=MandateLinks)


class PaymentLinks(msgspec.Struct, kw_only=True):
    mandate: str | None = None
    creditor: str | None = None


class Payment(msgspec.Struct, kw_only=True):
    id: str
    created_at: datetime
    status: str
    amount: int
    currency: str
    charge_date: date | None = None
    reference: str | None = None
    description: str | None = None
    retry_if_possible: bool = False
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    links: PaymentLinks = msgspec.field(default_factory=PaymentLinks)


class NewPaymentLinks(msgspec.Struct, kw_only=True):
    mandate: str


class NewPayment(msgspec.Struct, kw_only=True, omit_defaults=True):
    amount: int
    currency: str
    charge_date: date | None = None
    reference: str | None = None
    description: str | None = None
    retry_if_possible: bool = False
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    links: NewPaymentLinks


class MandateRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    scheme: str = "bacs"
    currency: str = "GBP"
    links: dict[str, str] = msgspec.field(default_factory=dict)


class PaymentRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    amount: int
    currency: str = "GBP"
    description: str | None = None
    scheme: str = "faster_payments"
    links: dict[str, str] = msgspec.field(default_factory=dict)


class BillingRequestLinks(msgspec.Struct, kw_only=True):
    customer: str | None = None
    mandate_request: str | None = None
    mandate_request_mandate: str | None = None
    payment_request: str | None = None
    payment_request_payment: str | None = None


class BillingRequest(msgspec.Struct, kw_only=True):
    id: str
    created_at: datetime
    status: str
    """pending, ready_to_fulfil, fulfilling, fulfilled, cancelled."""
    mandate_request: MandateRequest | None = None
    payment_request: PaymentRequest | None = None
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    links: BillingRequestLinks = msgspec.field(default_factory=BillingRequestLinks)


class NewBillingRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    mandate_request: MandateRequest | None = None
    payment_request: PaymentRequest | None = None
    metadata: dict[str, str] = msgspec.field(default_factory=dict)


class FlowLinks(msgspec.Struct, kw_only=True):
    billing_request: str


class BillingRequestFlow(msgspec.Struct, kw_only=True):
    id: str
    created_at: datetime
    authorisation_url: str
    redirect_uri: str | None = None
    expires_at: datetime | None = None
    links: FlowLinks


class NewBillingRequestFlow(msgspec.Struct, kw_only=True, omit_defaults=True):
    redirect_uri: str | None = None
    links: FlowLinks


class EventDetails(msgspec.Struct, kw_only=True):
    origin: str | None = None
    cause: str | None = None
    description: str | None = None
    scheme: str | None = None
    reason_code: str | None = None


class Event(msgspec.Struct, kw_only=True):
    id: str
    created_at: datetime
    resource_type: str
    action: str
    links: dict[str, str] = msgspec.field(default_factory=dict)
    details: EventDetails = msgspec.field(default_factory=EventDetails)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)


class WebhookBody(msgspec.Struct, kw_only=True):
    events: list[Event]


class ErrorDetail(msgspec.Struct, kw_only=True):
    reason: str | None = None
    message: str | None = None
    field: str | None = None
    links: dict[str, str] = msgspec.field(default_factory=dict)


class ApiError(msgspec.Struct, kw_only=True):
    message: str = ""
    type: str = ""
    code: int = 0
    request_id: str | None = None
    documentation_url: str | None = None
    errors: list[ErrorDetail] = msgspec.field(default_factory=list)


class ErrorBody(msgspec.Struct, kw_only=True):
    error: ApiError


class Cursors(msgspec.Struct, kw_only=True):
    before: str | None = None
    after: str | None = None


class ListMeta(msgspec.Struct, kw_only=True):
    cursors: Cursors = msgspec.field(default_factory=Cursors)
    limit: int = 50


class EventList(msgspec.Struct, kw_only=True):
    events: list[Event]
    meta: ListMeta = msgspec.field(default_factory=ListMeta)


class MandateEnvelope(msgspec.Struct, kw_only=True):
    mandates: Mandate


class PaymentEnvelope(msgspec.Struct, kw_only=True):
    payments: Payment


class NewPaymentEnvelope(msgspec.Struct, kw_only=True):
    payments: NewPayment


class PaymentList(msgspec.Struct, kw_only=True):
    payments: list[Payment]
    meta: ListMeta = msgspec.field(default_factory=ListMeta)


class BillingRequestEnvelope(msgspec.Struct, kw_only=True):
    billing_requests: BillingRequest


class NewBillingRequestEnvelope(msgspec.Struct, kw_only=True):
    billing_requests: NewBillingRequest


class BillingRequestFlowEnvelope(msgspec.Struct, kw_only=True):
    billing_request_flows: BillingRequestFlow


class NewBillingRequestFlowEnvelope(msgspec.Struct, kw_only=True):
    billing_request_flows: NewBillingRequestFlow
