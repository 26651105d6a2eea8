"""The payment provider's REST API over aiohttp (GoCardless's shape), behind ``PaymentProvider``.

Every call has a timeout and a deadline and retries 5xx, 429 and dropped connections with
jittered backoff (:mod:`ff_shared.integrations.http`). Every create of a resource that
matters (billing requests, payments) carries an ``Idempotency-Key``, so it is retried like a
read: a repeat the provider already acted on is answered ``409 idempotent_creation_conflict``
naming the resource first created, which this client fetches and returns, so a caller never
creates a payment twice.

Webhooks are signed: ``Webhook-Signature`` is the hex HMAC-SHA256 of the raw body under the
endpoint's secret, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import date
from typing import TypeVar
from urllib.parse import quote

import aiohttp
import msgspec
import structlog

from ff_shared.domain.payments import MandateStatus, PaymentStatus
from ff_shared.integrations.errors import (
    AuthenticationFailed,
    IntegrationError,
    MalformedResponse,
    RequestRejected,
    ResourceNotFound,
    UpstreamUnavailable,
)
from ff_shared.integrations.http import HttpResponse, RetryPolicy, decode_json, send
from ff_shared.integrations.payments import schemas as wire
from ff_shared.integrations.payments.provider import (
    HostedFlow,
    InvalidWebhookSignature,
    ProviderEvent,
    ProviderMandate,
    ProviderPayment,
    RequestState,
)
from ff_shared.settings import PaymentsSettings

log = structlog.get_logger()

SERVICE = "payments"
T = TypeVar("T")


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, signature: str | None, secret: str) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(sign(body, secret), signature.strip().lower())


class IdempotentCreationConflict(RequestRejected):
    """A create repeated with an Idempotency-Key already used; ``resource_id`` is the first."""

    kind = "idempotent_creation_conflict"

    def __init__(self, detail: str, *, resource_id: str | None) -> None:
        super().__init__(SERVICE, detail, status=409, code="idempotent_creation_conflict")
        self.resource_id = resource_id


def _payment(p: wire.Payment) -> ProviderPayment:
    return ProviderPayment(
        id=p.id,
        status=PaymentStatus(p.status),
        amount_pence=p.amount,
        charge_date=p.charge_date,
        mandate_id=p.links.mandate,
        metadata=dict(p.metadata),
    )


def _mandate(m: wire.Mandate) -> ProviderMandate:
    return ProviderMandate(
        id=m.id,
        status=MandateStatus(m.status),
        next_possible_charge_date=m.next_possible_charge_date,
        application_id=m.metadata.get("application_id"),
    )


class GoCardlessClient:
    """One per process, over the process's ``aiohttp.ClientSession``."""

    def __init__(self, session: aiohttp.ClientSession, settings: PaymentsSettings) -> None:
        self._session = session
        self._settings = settings
        self._base = settings.base_url.rstrip("/")
        self._policy = RetryPolicy(
            timeout_seconds=settings.timeout_seconds,
            deadline_seconds=settings.retry_deadline_seconds,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: msgspec.Struct | None = None,
        idempotency_key: str | None = None,
    ) -> HttpResponse:
        payload = None if body is None else msgspec.json.encode(body)

        async def headers() -> Mapping[str, str]:
            values = {
                "Accept": "application/json",
                "Authorization": f"Bearer {self._settings.access_token}",
                "GoCardless-Version": wire.API_VERSION,
            }
            if payload is not None:
                values["Content-Type"] = "application/json"
            if idempotency_key is not None:
                values["Idempotency-Key"] = idempotency_key
            return values

        return await send(
            self._session,
            method,
            f"{self._base}{path}",
            service=SERVICE,
            policy=self._policy,
            headers=headers,
            body=payload,
            idempotent=method == "GET" or idempotency_key is not None,
        )

    async def _get(self, path: str, type_: type[T], what: str) -> T:
        response = await self._call("GET", path)
        if response.status != 200:
            raise _error_for(response, what)
        return decode_json(response, type_, service=SERVICE, what=what)

    async def _create(
        self, path: str, body: msgspec.Struct, type_: type[T], what: str, idempotency_key: str
    ) -> T:
        response = await self._call("POST", path, body=body, idempotency_key=idempotency_key)
        if response.status == 409:
            error = _error_for(response, what)
            if isinstance(error, IdempotentCreationConflict) and error.resource_id:
                log.info("payments_create_replayed", path=path)
                return await self._get(f"{path}/{quote(error.resource_id)}", type_, what)
            raise error
        if response.status not in (200, 201):
            raise _error_for(response, what)
        return decode_json(response, type_, service=SERVICE, what=what)

    async def _hosted_flow(
        self, request: wire.NewBillingRequest, redirect_uri: str | None, idempotency_key: str
    ) -> HostedFlow:
        created = await self._create(
            "/billing_requests",
            wire.NewBillingRequestEnvelope(billing_requests=request),
            wire.BillingRequestEnvelope,
            "the billing request",
            idempotency_key,
        )
        billing_request = created.billing_requests
        # A flow is only a page onto the billing request, and the provider has no way to read
        # one back: it is created without a key, and a second flow for the same request (after
        # a retry) completes the same request.
        response = await self._call(
            "POST",
            "/billing_request_flows",
            body=wire.NewBillingRequestFlowEnvelope(
                billing_request_flows=wire.NewBillingRequestFlow(
                    redirect_uri=redirect_uri,
                    links=wire.FlowLinks(billing_request=billing_request.id),
                )
            ),
        )
        if response.status not in (200, 201):
            raise _error_for(response, "the billing request flow")
        flow = decode_json(
            response, wire.BillingRequestFlowEnvelope, service=SERVICE, what="the flow"
        )
        return HostedFlow(
            request_id=billing_request.id,
            authorisation_url=flow.billing_request_flows.authorisation_url,
        )

    async def start_mandate_setup(
        self, *, metadata: dict[str, str], redirect_uri: str | None, idempotency_key: str
    ) -> HostedFlow:
        """A billing request for a Bacs mandate, and the hosted page that sets it up."""
        return await self._hosted_flow(
            wire.NewBillingRequest(mandate_request=wire.MandateRequest(), metadata=metadata),
            redirect_uri,
            idempotency_key,
        )

    async def start_instant_payment(
        self,
        *,
        amount_pence: int,
        description: str,
        metadata: dict[str, str],
        redirect_uri: str | None,
        idempotency_key: str,
    ) -> HostedFlow:
        """A billing request for an Instant Bank Pay payment, and its hosted page."""
        return await self._hosted_flow(
            wire.NewBillingRequest(
                payment_request=wire.PaymentRequest(amount=amount_pence, description=description),
                metadata=metadata,
            ),
            redirect_uri,
            idempotency_key,
        )

    async def request_state(self, request_id: str) -> RequestState:
        found = await self._get(
            f"/billing_requests/{quote(request_id)}",
            wire.BillingRequestEnvelope,
            "the billing request",
        )
        br = found.billing_requests
        return RequestState(
            request_id=br.id,
            status=br.status,
            mandate_id=br.links.mandate_request_mandate,
            payment_id=br.links.payment_request_payment,
        )

    async def mandate(self, mandate_id: str) -> ProviderMandate:
        found = await self._get(
            f"/mandates/{quote(mandate_id)}", wire.MandateEnvelope, "the mandate"
        )
        return _mandate(found.mandates)

    async def payment(self, payment_id: str) -> ProviderPayment:
        found = await self._get(
            f"/payments/{quote(payment_id)}", wire.PaymentEnvelope, "the payment"
        )
        return _payment(found.payments)

    async def latest_cause(self, link: str, resource_id: str, action: str) -> str | None:
        """Why the ``link`` (payment, mandate) last went ``action`` (failed, charged_back): the
        newest such event's ``details.cause``, read from the provider, not from whichever
        webhook happened to arrive first."""
        page = await self._get(
            f"/events?{link}={quote(resource_id)}&action={quote(action)}&limit=1",
            wire.EventList,
            "the payment's events",
        )
        return page.events[0].details.cause if page.events else None

    async def list_payments(self, mandate_id: str, *, limit: int = 50) -> list[ProviderPayment]:
        """Every payment under a mandate, following the ``after`` cursor page by page."""
        out: list[ProviderPayment] = []
        after: str | None = None
        while True:
            query = f"?mandate={quote(mandate_id)}&limit={limit}"
            if after is not None:
                query += f"&after={quote(after)}"
            page = await self._get(f"/payments{query}", wire.PaymentList, "the payments")
            out.extend(_payment(p) for p in page.payments)
            after = page.meta.cursors.after
            if after is None or not page.payments:
                return out

    async def create_collection(
        self,
        *,
        mandate_id: str,
        amount_pence: int,
        charge_date: date,
        reference: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> ProviderPayment:
        created = await self._create(
            "/payments",
            wire.NewPaymentEnvelope(
                payments=wire.NewPayment(
                    amount=amount_pence,
                    currency="GBP",
                    charge_date=charge_date,
                    reference=reference,
                    metadata=metadata,
                    links=wire.NewPaymentLinks(mandate=mandate_id),
                )
            ),
            wire.PaymentEnvelope,
            "the payment",
            idempotency_key,
        )
        log.info("payments_collection_created", payment_id=created.payments.id)
        return _payment(created.payments)

    async def retry_payment(self, payment_id: str, *, charge_date: date | None) -> ProviderPayment:
        body = {"data": {"charge_date": charge_date.isoformat()}} if charge_date else {"data": {}}
        response = await self._call(
            "POST",
            f"/payments/{quote(payment_id)}/actions/retry",
            body=msgspec.convert(body, _RetryBody),
            idempotency_key=f"retry:{payment_id}:{charge_date}",
        )
        if response.status not in (200, 201):
            raise _error_for(response, "retrying the payment")
        return _payment(
            decode_json(
                response, wire.PaymentEnvelope, service=SERVICE, what="the payment"
            ).payments
        )

    def parse_webhook(self, body: bytes, signature: str | None) -> list[ProviderEvent]:
        if not signature_valid(body, signature, self._settings.webhook_secret):
            raise InvalidWebhookSignature("the webhook signature does not match")
        try:
            parsed = msgspec.json.decode(body, type=wire.WebhookBody)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise MalformedResponse(
                SERVICE, f"the webhook is not the documented shape: {exc}", raw=body
            ) from exc
        return [
            ProviderEvent(
                id=e.id,
                created_at=e.created_at,
                resource_type=e.resource_type,
                action=e.action,
                resource_id=_resource_id(e),
                cause=e.details.cause,
                description=e.details.description,
            )
            for e in parsed.events
        ]


class _RetryData(msgspec.Struct, kw_only=True, omit_defaults=True):
    charge_date: str | None = None


class _RetryBody(msgspec.Struct, kw_only=True):
    data: _RetryData


_SINGULAR = {
    "payments": "payment",
    "mandates": "mandate",
    "billing_requests": "billing_request",
    "refunds": "refund",
    "payouts": "payout",
}


def _resource_id(event: wire.Event) -> str | None:
    key = _SINGULAR.get(event.resource_type)
    return None if key is None else event.links.get(key)


def _error_for(response: HttpResponse, what: str) -> IntegrationError:
    status = response.status
    message = f"HTTP {status}"
    reason: str | None = None
    conflicting: str | None = None
    try:
        error = msgspec.json.decode(response.body, type=wire.ErrorBody).error
        message = error.message or message
        if error.errors:
            reason = error.errors[0].reason
            conflicting = error.errors[0].links.get("conflicting_resource_id")
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    if status >= 500:
        return UpstreamUnavailable(SERVICE, f"{what} answered {status}", status=status)
    if status in (401, 403):
        return AuthenticationFailed(SERVICE, f"{what}: {message}", status=status)
    if status == 404:
        return ResourceNotFound(SERVICE, f"{what}: {message}", status=status)
    if status == 409 and reason == "idempotent_creation_conflict":
        return IdempotentCreationConflict(f"{what}: {message}", resource_id=conflicting)
    if status < 400:
        return MalformedResponse(
            SERVICE, f"{what} answered an unexpected {status}", status=status, raw=response.body
        )
    return RequestRejected(SERVICE, f"{what}: {message}", status=status, code=reason)
