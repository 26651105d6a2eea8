"""A payment-provider simulator in GoCardless's shape: API, hosted pages and signed webhooks.

    python -m ff_standins.payments.simulator --port 8104 --webhook-url URL

API (``Authorization: Bearer``, ``GoCardless-Version: 2015-07-06``, bodies wrapped in the
resource's plural name, ``Idempotency-Key`` on creates: a repeat answers ``409
idempotent_creation_conflict`` linking the first resource): ``POST /billing_requests``,
``GET /billing_requests/{id}``, ``POST /billing_request_flows`` (its ``authorisation_url`` is the
hosted page), ``GET /mandates/{id}``, ``POST /payments``, ``GET /payments/{id}``,
``GET /payments?mandate=&limit=&after=&before=``, ``POST /payments/{id}/actions/retry``,
``GET /events?payment=&action=`` (newest first: why a payment failed).

Hosted pages: ``GET /flow/{id}`` is an HTML form; ``POST /flow/{id}`` with
``outcome=authorise`` (or ``cancel``) completes it the way a customer would, then redirects to
the flow's ``redirect_uri`` (or shows a confirmation page).

Webhooks: every state change is an event POSTed to the configured URL as ``{"events": [...]}``
with ``Webhook-Signature`` = hex HMAC-SHA256 of the body under the secret; non-2xx answers are
retried a few times.

Admin, under ``/_sim`` (plus the shared faults and request log of
:mod:`ff_standins.simulation`):

- ``POST /_sim/config`` ``{"webhook_url", "webhook_secret", "today"}`` (``today`` moves the
  simulator's calendar, for charge-date checks);
- ``POST /_sim/advance`` ``{"to": "paid_out", "ids": [...]}``: moves mandates
  (pending_submission -> submitted -> active) and payments (pending_submission -> submitted ->
  confirmed -> paid_out) one step, or up to ``to``, sending an event per step, so tests never wait;
- ``POST /_sim/payments/{id}/fail`` ``{"cause": "insufficient_funds"}``,
  ``POST /_sim/payments/{id}/charge_back``;
- ``POST /_sim/mandates/refuse`` ``{"times": 1, "cause": "bank_account_closed"}``: the next
  mandate set-ups fail;
- ``POST /_sim/webhook-faults`` ``{"mode": "delay"|"duplicate"|"hold", "times": 1,
  "delay_seconds": 2}``: send the next webhooks late, twice, or hold them until
  ``POST /_sim/webhooks/release`` ``{"order": "reversed"}`` sends them (out of order);
  ``POST /_sim/events/{id}/resend`` replays an event; ``GET /_sim/webhooks`` lists deliveries;
  ``GET /_sim/state`` lists mandates, payments and events.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import html
import itertools
import os
import secrets
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import aiohttp
import msgspec
from aiohttp import web

from ff_shared.clock import london_today, now_utc
from ff_shared.domain.payments import add_working_days
from ff_shared.integrations.payments import schemas as wire
from ff_standins.simulation import (
    MalformedKind,
    Simulation,
    add_simulation_routes,
    serve,
)

DEFAULT_PORT = 8104
DEFAULT_TOKEN = "ff-local-payments-token"
DEFAULT_SECRET = "ff-local-webhook-secret"
LEAD_WORKING_DAYS = 3

MANDATE_STEPS = ("pending_submission", "submitted", "active")
PAYMENT_STEPS = ("pending_submission", "submitted", "confirmed", "paid_out")

MALFORMED: dict[MalformedKind, bytes] = {
    "truncated": b'{"payments":{"id":"PM0001","status":"conf',
    "wrong_shape": b'{"payments":{"id":42,"amount":"lots"}}',
    "html": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
}


def _id(prefix: str) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(12))


@dataclass
class SimMandate:
    id: str
    created_at: datetime
    status: str
    metadata: dict[str, str]
    reference: str


@dataclass
class SimPayment:
    id: str
    created_at: datetime
    status: str
    amount: int
    currency: str
    charge_date: date
    mandate: str | None
    reference: str | None
    description: str | None
    metadata: dict[str, str]
    retries: int = 0


@dataclass
class SimBillingRequest:
    id: str
    created_at: datetime
    status: str
    mandate_request: wire.MandateRequest | None
    payment_request: wire.PaymentRequest | None
    metadata: dict[str, str]
    mandate: str | None = None
    payment: str | None = None


@dataclass
class SimFlow:
    id: str
    created_at: datetime
    billing_request: str
    redirect_uri: str | None
    authorisation_url: str


class WebhookFault(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mode: Literal["delay", "duplicate", "hold"]
    times: int | None = 1
    delay_seconds: float = 2.0


class Delivery(msgspec.Struct, kw_only=True):
    seq: int
    event_ids: list[str]
    status: int | None
    attempts: int
    fault: str | None = None


@dataclass
class Store:
    public_url: str
    access_token: str
    webhook_url: str | None
    webhook_secret: str
    today: date | None = None
    mandates: dict[str, SimMandate] = field(default_factory=dict)
    payments: dict[str, SimPayment] = field(default_factory=dict)
    billing_requests: dict[str, SimBillingRequest] = field(default_factory=dict)
    flows: dict[str, SimFlow] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], str] = field(default_factory=dict)
    events: dict[str, wire.Event] = field(default_factory=dict)
    held: list[wire.Event] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    webhook_faults: list[WebhookFault] = field(default_factory=list)
    refuse_mandates: int = 0
    refuse_cause: str = "bank_account_closed"
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    http: aiohttp.ClientSession | None = None
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def calendar_today(self) -> date:
        return self.today or london_today()

    def next_possible_charge_date(self) -> date:
        return add_working_days(self.calendar_today(), LEAD_WORKING_DAYS)


STORE = web.AppKey("payments_store", Store)


# --- wire helpers ------------------------------------------------------------------------------


def _json(body: msgspec.Struct | dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body), status=status, content_type="application/json"
    )


def _error(
    status: int,
    error_type: str,
    message: str,
    reason: str,
    *,
    links: dict[str, str] | None = None,
    field_name: str | None = None,
) -> web.Response:
    return _json(
        wire.ErrorBody(
            error=wire.ApiError(
                message=message,
                type=error_type,
                code=status,
                request_id=_id("RQ"),
                documentation_url=f"https://developer.gocardless.com/api-reference#{reason}",
                errors=[
                    wire.ErrorDetail(
                        reason=reason, message=message, field=field_name, links=links or {}
                    )
                ],
            )
        ),
        status,
    )


def _mandate_wire(store: Store, m: SimMandate) -> wire.Mandate:
    return wire.Mandate(
        id=m.id,
        created_at=m.created_at,
        status=m.status,
        reference=m.reference,
        next_possible_charge_date=store.next_possible_charge_date()
        if m.status in ("pending_submission", "submitted", "active")
        else None,
        metadata=m.metadata,
    )


def _payment_wire(p: SimPayment) -> wire.Payment:
    return wire.Payment(
        id=p.id,
        created_at=p.created_at,
        status=p.status,
        amount=p.amount,
        currency=p.currency,
        charge_date=p.charge_date,
        reference=p.reference,
        description=p.description,
        metadata=p.metadata,
        links=wire.PaymentLinks(mandate=p.mandate),
    )


def _br_wire(br: SimBillingRequest) -> wire.BillingRequest:
    return wire.BillingRequest(
        id=br.id,
        created_at=br.created_at,
        status=br.status,
        mandate_request=br.mandate_request,
        payment_request=br.payment_request,
        metadata=br.metadata,
        links=wire.BillingRequestLinks(
            mandate_request_mandate=br.mandate, payment_request_payment=br.payment
        ),
    )


def _flow_wire(f: SimFlow) -> wire.BillingRequestFlow:
    return wire.BillingRequestFlow(
        id=f.id,
        created_at=f.created_at,
        authorisation_url=f.authorisation_url,
        redirect_uri=f.redirect_uri,
        links=wire.FlowLinks(billing_request=f.billing_request),
    )


@web.middleware
async def _api_checks(request: web.Request, handler: Any) -> web.StreamResponse:
    """Bearer token and version header on the API (not on hosted pages or the admin API)."""
    path = request.path
    if path.startswith(("/_sim", "/flow/")):
        response: web.StreamResponse = await handler(request)
        return response
    store = request.app[STORE]
    if request.headers.get("Authorization") != f"Bearer {store.access_token}":
        return _error(401, "invalid_api_usage", "Invalid access token", "invalid_token")
    if request.headers.get("GoCardless-Version") != wire.API_VERSION:
        return _error(
            400,
            "invalid_api_usage",
            "GoCardless-Version header is missing or not supported",
            "version_missing",
        )
    response = await handler(request)
    return response


async def _decode(request: web.Request, type_: type[Any]) -> Any:
    try:
        return msgspec.json.decode(await request.read(), type=type_)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise web.HTTPUnprocessableEntity(
            body=msgspec.json.encode(
                wire.ErrorBody(
                    error=wire.ApiError(
                        message=str(exc),
                        type="validation_failed",
                        code=422,
                        errors=[wire.ErrorDetail(reason="invalid_body", message=str(exc))],
                    )
                )
            ),
            content_type="application/json",
        ) from exc


def _replayed(request: web.Request, kind: str) -> web.Response | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    existing = request.app[STORE].idempotency.get((kind, key))
    if existing is None:
        return None
    return _error(
        409,
        "invalid_state",
        "A resource has already been created with this idempotency key",
        "idempotent_creation_conflict",
        links={"conflicting_resource_id": existing},
    )


def _remember(request: web.Request, kind: str, resource_id: str) -> None:
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        request.app[STORE].idempotency[(kind, key)] = resource_id


# --- webhooks ----------------------------------------------------------------------------------


def _event(
    store: Store,
    resource_type: str,
    action: str,
    links: dict[str, str],
    *,
    cause: str | None = None,
    description: str | None = None,
    origin: str = "gocardless",
) -> None:
    event = wire.Event(
        id=_id("EV"),
        created_at=now_utc(),
        resource_type=resource_type,
        action=action,
        links=links,
        details=wire.EventDetails(
            origin=origin, cause=cause or action, description=description or action
        ),
    )
    store.events[event.id] = event
    _dispatch(store, [event])


def _dispatch(store: Store, events: list[wire.Event], *, fault_free: bool = False) -> None:
    fault = None if fault_free else _take_webhook_fault(store)
    if fault is not None and fault.mode == "hold":
        store.held.extend(events)
        return
    delay = fault.delay_seconds if fault is not None and fault.mode == "delay" else 0.0
    copies = 2 if fault is not None and fault.mode == "duplicate" else 1
    for _ in range(copies):
        task = asyncio.get_running_loop().create_task(
            _deliver(store, events, delay, None if fault is None else fault.mode)
        )
        store.tasks.add(task)
        task.add_done_callback(store.tasks.discard)


def _take_webhook_fault(store: Store) -> WebhookFault | None:
    if not store.webhook_faults:
        return None
    fault = store.webhook_faults[0]
    if fault.times is not None:
        fault.times -= 1
        if fault.times <= 0:
            store.webhook_faults.pop(0)
    return fault


async def _deliver(store: Store, events: list[wire.Event], delay: float, fault: str | None) -> None:
    if delay:
        await asyncio.sleep(delay)
    delivery = Delivery(
        seq=next(store.seq), event_ids=[e.id for e in events], status=None, attempts=0, fault=fault
    )
    store.deliveries.append(delivery)
    del store.deliveries[:-2000]
    if store.webhook_url is None or store.http is None:
        return
    body = msgspec.json.encode(wire.WebhookBody(events=events))
    signature = hmac.new(store.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    for attempt in range(1, 5):
        delivery.attempts = attempt
        try:
            async with store.http.post(
                store.webhook_url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "Webhook-Signature": signature,
                    "User-Agent": "gocardless-webhook-service/1.1",
                },
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                delivery.status = response.status
                if 200 <= response.status < 300:
                    return
        except (aiohttp.ClientError, TimeoutError):
            delivery.status = None
        await asyncio.sleep(0.2 * 2 ** (attempt - 1))


# --- API ---------------------------------------------------------------------------------------


async def _create_billing_request(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body = (await _decode(request, wire.NewBillingRequestEnvelope)).billing_requests
    # No await from here to _remember: two requests with one key never both create.
    if (replay := _replayed(request, "billing_requests")) is not None:
        return replay
    if body.mandate_request is None and body.payment_request is None:
        return _error(
            422,
            "validation_failed",
            "a mandate_request or a payment_request is required",
            "validation_failed",
        )
    if body.payment_request is not None and body.payment_request.amount <= 0:
        return _error(
            422,
            "validation_failed",
            "amount must be positive",
            "validation_failed",
            field_name="amount",
        )
    br = SimBillingRequest(
        id=_id("BRQ"),
        created_at=now_utc(),
        status="pending",
        mandate_request=body.mandate_request,
        payment_request=body.payment_request,
        metadata=body.metadata,
    )
    store.billing_requests[br.id] = br
    _remember(request, "billing_requests", br.id)
    _event(store, "billing_requests", "created", {"billing_request": br.id})
    return _json(wire.BillingRequestEnvelope(billing_requests=_br_wire(br)), 201)


async def _get_billing_request(request: web.Request) -> web.Response:
    br = request.app[STORE].billing_requests.get(request.match_info["id"])
    if br is None:
        return _error(404, "invalid_api_usage", "Resource not found", "resource_not_found")
    return _json(wire.BillingRequestEnvelope(billing_requests=_br_wire(br)))


async def _create_flow(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body = (await _decode(request, wire.NewBillingRequestFlowEnvelope)).billing_request_flows
    if (replay := _replayed(request, "billing_request_flows")) is not None:
        return replay
    if body.links.billing_request not in store.billing_requests:
        return _error(404, "invalid_api_usage", "Billing request not found", "resource_not_found")
    flow_id = _id("BRF")
    flow = SimFlow(
        id=flow_id,
        created_at=now_utc(),
        billing_request=body.links.billing_request,
        redirect_uri=body.redirect_uri,
        authorisation_url=f"{store.public_url}/flow/{flow_id}",
    )
    store.flows[flow.id] = flow
    _remember(request, "billing_request_flows", flow.id)
    return _json(wire.BillingRequestFlowEnvelope(billing_request_flows=_flow_wire(flow)), 201)


async def _get_mandate(request: web.Request) -> web.Response:
    store = request.app[STORE]
    mandate = store.mandates.get(request.match_info["id"])
    if mandate is None:
        return _error(404, "invalid_api_usage", "Resource not found", "resource_not_found")
    return _json(wire.MandateEnvelope(mandates=_mandate_wire(store, mandate)))


async def _create_payment(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body = (await _decode(request, wire.NewPaymentEnvelope)).payments
    if (replay := _replayed(request, "payments")) is not None:
        return replay
    mandate = store.mandates.get(body.links.mandate)
    if mandate is None:
        return _error(404, "invalid_api_usage", "Mandate not found", "resource_not_found")
    if mandate.status not in ("pending_submission", "submitted", "active"):
        return _error(
            422, "invalid_state", f"The mandate is {mandate.status}", "mandate_is_inactive"
        )
    if body.amount <= 0 or body.currency != "GBP":
        return _error(
            422,
            "validation_failed",
            "amount must be positive GBP pence",
            "validation_failed",
            field_name="amount",
        )
    earliest = store.next_possible_charge_date()
    charge_date = body.charge_date or earliest
    if charge_date < earliest:
        return _error(
            422,
            "validation_failed",
            f"charge_date must be on or after the mandate's next_possible_charge_date {earliest}",
            "validation_failed",
            field_name="charge_date",
        )
    payment = SimPayment(
        id=_id("PM"),
        created_at=now_utc(),
        status="pending_submission",
        amount=body.amount,
        currency=body.currency,
        charge_date=charge_date,
        mandate=mandate.id,
        reference=body.reference,
        description=body.description,
        metadata=body.metadata,
    )
    store.payments[payment.id] = payment
    _remember(request, "payments", payment.id)
    _event(store, "payments", "created", {"payment": payment.id})
    return _json(wire.PaymentEnvelope(payments=_payment_wire(payment)), 201)


async def _get_payment(request: web.Request) -> web.Response:
    payment = request.app[STORE].payments.get(request.match_info["id"])
    if payment is None:
        return _error(404, "invalid_api_usage", "Resource not found", "resource_not_found")
    return _json(wire.PaymentEnvelope(payments=_payment_wire(payment)))


async def _list_payments(request: web.Request) -> web.Response:
    store = request.app[STORE]
    try:
        limit = min(500, max(1, int(request.query.get("limit", "50"))))
    except ValueError:
        return _error(422, "validation_failed", "limit must be a number", "validation_failed")
    chosen = [
        p for p in store.payments.values() if request.query.get("mandate") in (None, p.mandate)
    ]
    ids = [p.id for p in chosen]
    start, end = 0, len(chosen)
    if (after := request.query.get("after")) is not None:
        start = ids.index(after) + 1 if after in ids else len(ids)
    if (before := request.query.get("before")) is not None:
        end = ids.index(before) if before in ids else 0
        start = max(start, end - limit)
    page = chosen[start:end][:limit]
    more_after = start + len(page) < end
    return _json(
        wire.PaymentList(
            payments=[_payment_wire(p) for p in page],
            meta=wire.ListMeta(
                limit=limit,
                cursors=wire.Cursors(
                    after=page[-1].id if page and more_after else None,
                    before=page[0].id if page and start > 0 else None,
                ),
            ),
        )
    )


async def _list_events(request: web.Request) -> web.Response:
    """Newest first, filtered by ``payment``/``mandate``/``billing_request``, ``action`` and
    ``resource_type``, paged with ``limit``/``after``."""
    store = request.app[STORE]
    query = request.query
    chosen = list(reversed(store.events.values()))
    for link in ("payment", "mandate", "billing_request"):
        if link in query:
            chosen = [e for e in chosen if e.links.get(link) == query[link]]
    for name in ("action", "resource_type"):
        if name in query:
            chosen = [e for e in chosen if getattr(e, name) == query[name]]
    ids = [e.id for e in chosen]
    if (after := query.get("after")) is not None:
        chosen = chosen[ids.index(after) + 1 :] if after in ids else []
    try:
        limit = min(500, max(1, int(query.get("limit", "50"))))
    except ValueError:
        return _error(422, "validation_failed", "limit must be a number", "validation_failed")
    page = chosen[:limit]
    return _json(
        wire.EventList(
            events=page,
            meta=wire.ListMeta(
                limit=limit,
                cursors=wire.Cursors(after=page[-1].id if len(chosen) > limit else None),
            ),
        )
    )


class _RetryData(msgspec.Struct, kw_only=True):
    charge_date: date | None = None


class _RetryBody(msgspec.Struct, kw_only=True):
    data: _RetryData = msgspec.field(default_factory=_RetryData)


async def _retry_payment(request: web.Request) -> web.Response:
    store = request.app[STORE]
    payment = store.payments.get(request.match_info["id"])
    if payment is None:
        return _error(404, "invalid_api_usage", "Resource not found", "resource_not_found")
    body = await _decode(request, _RetryBody)
    if payment.status not in ("failed",):
        return _error(
            422, "invalid_state", f"Cannot retry a {payment.status} payment", "invalid_state"
        )
    if payment.retries >= 3:
        return _error(422, "invalid_state", "No retries left", "retry_limit_reached")
    payment.retries += 1
    payment.status = "pending_submission"
    payment.charge_date = max(
        body.data.charge_date or store.next_possible_charge_date(),
        store.next_possible_charge_date(),
    )
    _event(store, "payments", "resubmission_requested", {"payment": payment.id})
    return _json(wire.PaymentEnvelope(payments=_payment_wire(payment)))


# --- hosted pages ------------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{summary}</p>
<form method="post" action="/flow/{flow}">
{fields}
<button type="submit" name="outcome" value="authorise">{confirm}</button>
<button type="submit" name="outcome" value="cancel">Cancel</button>
</form></body></html>"""

_MANDATE_FIELDS = (
    '<label>Account holder <input name="account_holder_name" value="Demo Customer"></label>\n'
    '<label>Sort code <input name="branch_code" value="200000"></label>\n'
    '<label>Account number <input name="account_number" value="55779911"></label>'
)
_PAYMENT_FIELDS = (
    '<label>Your bank <select name="institution"><option>Demo Bank</option></select></label>'
)


async def _flow_page(request: web.Request) -> web.Response:
    store = request.app[STORE]
    flow = store.flows.get(request.match_info["id"])
    if flow is None:
        return web.Response(status=404, text="This payment link is not valid.")
    br = store.billing_requests[flow.billing_request]
    if br.payment_request is not None:
        title = "Pay Fair Finance"
        summary = f"Pay £{br.payment_request.amount / 100:.2f} from your bank account."
        fields, confirm = _PAYMENT_FIELDS, "Pay now"
    else:
        title = "Set up a Direct Debit with Fair Finance"
        summary = "Your instalments will be collected by Direct Debit."
        fields, confirm = _MANDATE_FIELDS, "Set up Direct Debit"
    page = _PAGE.format(
        title=html.escape(title),
        summary=html.escape(summary),
        flow=html.escape(flow.id),
        fields=fields,
        confirm=confirm,
    )
    return web.Response(text=page, content_type="text/html")


def _fulfil(store: Store, br: SimBillingRequest) -> None:
    now = now_utc()
    if br.mandate_request is not None:
        mandate = SimMandate(
            id=_id("MD"),
            created_at=now,
            status="pending_submission",
            metadata=dict(br.metadata),
            reference=_id("FF-"),
        )
        store.mandates[mandate.id] = mandate
        br.mandate = mandate.id
        _event(store, "mandates", "created", {"mandate": mandate.id})
        if store.refuse_mandates > 0:
            store.refuse_mandates -= 1
            mandate.status = "failed"
            _event(store, "mandates", "failed", {"mandate": mandate.id}, cause=store.refuse_cause)
    if br.payment_request is not None:
        payment = SimPayment(
            id=_id("PM"),
            created_at=now,
            status="pending_submission",
            amount=br.payment_request.amount,
            currency=br.payment_request.currency,
            charge_date=store.calendar_today(),
            mandate=None,
            reference=None,
            description=br.payment_request.description,
            metadata=dict(br.metadata),
        )
        store.payments[payment.id] = payment
        br.payment = payment.id
        _event(store, "payments", "created", {"payment": payment.id})
    br.status = "fulfilled"
    _event(store, "billing_requests", "fulfilled", {"billing_request": br.id})


async def _flow_submit(request: web.Request) -> web.Response:
    store = request.app[STORE]
    flow = store.flows.get(request.match_info["id"])
    if flow is None:
        return web.Response(status=404, text="This payment link is not valid.")
    form = await request.post()
    outcome = str(form.get("outcome", "authorise"))
    if outcome not in ("authorise", "cancel"):
        return web.Response(status=400, text="outcome must be authorise or cancel")
    br = store.billing_requests[flow.billing_request]
    if br.status == "pending":
        if outcome == "cancel":
            br.status = "cancelled"
            _event(store, "billing_requests", "cancelled", {"billing_request": br.id})
        else:
            _fulfil(store, br)
    if flow.redirect_uri:
        separator = "&" if "?" in flow.redirect_uri else "?"
        query = urlencode({"billing_request": br.id, "status": br.status})
        raise web.HTTPSeeOther(f"{flow.redirect_uri}{separator}{query}")
    return web.Response(
        text=f'<html><body><p id="status">{html.escape(br.status)}</p>'
        "<p>You can close this window.</p></body></html>",
        content_type="text/html",
    )


# --- admin -------------------------------------------------------------------------------------


class ConfigBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    webhook_url: str | None = None
    webhook_secret: str | None = None
    today: date | None = None


async def _admin_config(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body = await _decode(request, ConfigBody)
    if body.webhook_url is not None:
        store.webhook_url = body.webhook_url or None
    if body.webhook_secret is not None:
        store.webhook_secret = body.webhook_secret
    if body.today is not None:
        store.today = body.today
    return _json(
        {
            "webhook_url": store.webhook_url,
            "today": store.calendar_today().isoformat(),
            "next_possible_charge_date": store.next_possible_charge_date().isoformat(),
        }
    )


class AdvanceBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to: str | None = None
    """A target status; null: one step."""
    ids: list[str] | None = None


def _step(store: Store, resource_type: str, resource: Any, steps: tuple[str, ...]) -> bool:
    if resource.status not in steps or resource.status == steps[-1]:
        return False
    resource.status = steps[steps.index(resource.status) + 1]
    key = "mandate" if resource_type == "mandates" else "payment"
    _event(store, resource_type, resource.status, {key: resource.id})
    return True


async def _admin_advance(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body = await _decode(request, AdvanceBody)
    moved: list[dict[str, str]] = []
    kinds: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("mandates", store.mandates, MANDATE_STEPS),
        ("payments", store.payments, PAYMENT_STEPS),
    ]
    for resource_type, resources, steps in kinds:
        for resource in list(resources.values()):
            if body.ids is not None and resource.id not in body.ids:
                continue
            target = body.to if body.to in steps else None
            while _step(store, resource_type, resource, steps):
                moved.append({"id": resource.id, "status": resource.status})
                if target is None or resource.status == target:
                    break
                if steps.index(resource.status) >= steps.index(target):
                    break
    return _json({"moved": moved})


class FailBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    cause: str = "insufficient_funds"
    description: str | None = None


async def _admin_fail(request: web.Request) -> web.Response:
    store = request.app[STORE]
    payment = store.payments.get(request.match_info["id"])
    if payment is None:
        return _json({"error": "no such payment"}, 404)
    body = await _decode(request, FailBody) if request.can_read_body else FailBody()
    payment.status = "failed"
    _event(
        store,
        "payments",
        "failed",
        {"payment": payment.id},
        cause=body.cause,
        description=body.description or f"The payment failed: {body.cause}",
        origin="bank",
    )
    return _json(wire.PaymentEnvelope(payments=_payment_wire(payment)))


async def _admin_charge_back(request: web.Request) -> web.Response:
    store = request.app[STORE]
    payment = store.payments.get(request.match_info["id"])
    if payment is None:
        return _json({"error": "no such payment"}, 404)
    payment.status = "charged_back"
    _event(
        store,
        "payments",
        "charged_back",
        {"payment": payment.id},
        cause="payment_disputed",
        origin="customer",
    )
    return _json(wire.PaymentEnvelope(payments=_payment_wire(payment)))


class RefuseBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    times: int = 1
    cause: str = "bank_account_closed"


async def _admin_refuse(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body = await _decode(request, RefuseBody)
    store.refuse_mandates = body.times
    store.refuse_cause = body.cause
    return _json({"refuse_mandates": store.refuse_mandates}, 201)


async def _admin_webhook_fault(request: web.Request) -> web.Response:
    fault = await _decode(request, WebhookFault)
    request.app[STORE].webhook_faults.append(fault)
    return _json(msgspec.to_builtins(fault), 201)


async def _admin_clear_webhook_faults(request: web.Request) -> web.Response:
    store = request.app[STORE]
    store.webhook_faults.clear()
    store.refuse_mandates = 0
    return web.Response(status=204)


class ReleaseBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    order: Literal["sent", "reversed"] = "sent"


async def _admin_release(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body = await _decode(request, ReleaseBody)
    held = list(reversed(store.held)) if body.order == "reversed" else list(store.held)
    store.held.clear()
    # Each in its own delivery, one after another, in the order asked for.
    for event in held:
        await _deliver(store, [event], 0.0, f"released_{body.order}")
    return _json({"released": [e.id for e in held]})


async def _admin_resend(request: web.Request) -> web.Response:
    store = request.app[STORE]
    event = store.events.get(request.match_info["id"])
    if event is None:
        return _json({"error": "no such event"}, 404)
    await _deliver(store, [event], 0.0, "resent")
    return _json({"resent": event.id})


async def _admin_webhooks(request: web.Request) -> web.Response:
    store = request.app[STORE]
    return _json({"deliveries": msgspec.to_builtins(store.deliveries), "held": len(store.held)})


async def _admin_state(request: web.Request) -> web.Response:
    store = request.app[STORE]
    return _json(
        {
            "mandates": [
                msgspec.to_builtins(_mandate_wire(store, m)) for m in store.mandates.values()
            ],
            "payments": [msgspec.to_builtins(_payment_wire(p)) for p in store.payments.values()],
            "events": [msgspec.to_builtins(e) for e in store.events.values()],
        }
    )


async def _admin_settle(request: web.Request) -> web.Response:
    """Wait until every webhook in flight has been delivered (or given up)."""
    store = request.app[STORE]
    if store.tasks:
        await asyncio.wait(list(store.tasks), timeout=30)
    return _json({"in_flight": len(store.tasks)})


def create_app(
    *,
    public_url: str,
    access_token: str = DEFAULT_TOKEN,
    webhook_url: str | None = None,
    webhook_secret: str = DEFAULT_SECRET,
) -> web.Application:
    app = web.Application(middlewares=[_api_checks])
    store = Store(
        public_url=public_url.rstrip("/"),
        access_token=access_token,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
    )
    app[STORE] = store
    add_simulation_routes(app, Simulation(MALFORMED))

    async def http_session(app: web.Application) -> AsyncIterator[None]:
        store.http = aiohttp.ClientSession()
        yield
        for task in list(store.tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*store.tasks, return_exceptions=True)
        await store.http.close()

    app.cleanup_ctx.append(http_session)
    r = app.router
    r.add_post("/billing_requests", _create_billing_request)
    r.add_get("/billing_requests/{id}", _get_billing_request)
    r.add_post("/billing_request_flows", _create_flow)
    r.add_get("/mandates/{id}", _get_mandate)
    r.add_post("/payments", _create_payment)
    r.add_get("/payments", _list_payments)
    r.add_get("/payments/{id}", _get_payment)
    r.add_post("/payments/{id}/actions/retry", _retry_payment)
    r.add_get("/events", _list_events)
    r.add_get("/flow/{id}", _flow_page)
    r.add_post("/flow/{id}", _flow_submit)
    r.add_post("/_sim/config", _admin_config)
    r.add_post("/_sim/advance", _admin_advance)
    r.add_post("/_sim/payments/{id}/fail", _admin_fail)
    r.add_post("/_sim/payments/{id}/charge_back", _admin_charge_back)
    r.add_post("/_sim/mandates/refuse", _admin_refuse)
    r.add_post("/_sim/webhook-faults", _admin_webhook_fault)
    r.add_delete("/_sim/webhook-faults", _admin_clear_webhook_faults)
    r.add_post("/_sim/webhooks/release", _admin_release)
    r.add_post("/_sim/events/{id}/resend", _admin_resend)
    r.add_get("/_sim/webhooks", _admin_webhooks)
    r.add_post("/_sim/webhooks/settle", _admin_settle)
    r.add_get("/_sim/state", _admin_state)
    return app


def _default_port() -> int:
    url = os.environ.get("FF_PAYMENTS_BASE_URL")
    port = urlsplit(url).port if url else None
    return port or DEFAULT_PORT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Payment provider simulator (GoCardless shape)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=_default_port())
    parser.add_argument("--public-url", help="the URL customers reach it at (default: its own)")
    parser.add_argument(
        "--webhook-url",
        default=os.environ.get("FF_PAYMENTS_SIM_WEBHOOK_URL")
        or f"http://127.0.0.1:{os.environ.get('FF_API_PORT', '8000')}/v1/payments/webhooks",
        help="where webhooks are sent (default: the local API's /v1/payments/webhooks)",
    )
    args = parser.parse_args(argv)
    if os.environ.get("FF_ENVIRONMENT") == "production":
        raise SystemExit("the payments simulator does not run in production")
    # Secrets come from the environment, never the command line (process lists show it).
    public_url = args.public_url or f"http://{args.host}:{args.port}"
    app = create_app(
        public_url=public_url,
        access_token=os.environ.get("FF_PAYMENTS_ACCESS_TOKEN", DEFAULT_TOKEN),
        webhook_url=args.webhook_url,
        webhook_secret=os.environ.get("FF_PAYMENTS_WEBHOOK_SECRET", DEFAULT_SECRET),
    )
    serve(app, host=args.host, port=args.port, name="payments simulator")


if __name__ == "__main__":
    main()
