"""An Open Banking Vision simulator: consent journeys and year-long household reports over HTTP.

    python -m ff_standins.obv.simulator --port 8103

- ``POST /v1/consents`` (``x-api-key``, ``x-idempotency-key``): starts a consent for an
  application; the same idempotency key answers the same consent. ``GET /v1/consents/{ref}``.
- ``GET /journey/{ref}`` is the authorisation URL a customer follows: it completes the consent
  with a generated household (``?household=salaried|benefits|gig|gambling_heavy|returned_dd``,
  default chosen from the reference; ``?outcome=reject`` refuses) and redirects to the consent's
  redirect URI with ``reference`` and ``status``, as a bank journey would.
- ``GET /v1/reports/{ref}``: the report (accounts, balances, a year of transactions, the
  summary), byte-for-byte the same on every fetch until it is regenerated; ``409`` while not
  ready. Errors use the Open Banking shape ``{Code, Id, Message, Errors[]}``.
- Admin, under ``/_sim``: faults and the request log (:mod:`ff_standins.simulation`),
  ``POST /_sim/config`` (``report_delay_seconds``, ``consent_ttl_seconds``),
  ``POST /_sim/consents/{ref}/complete`` (``household``, ``seed``, ``extra_transactions``,
  ``outcome``: completes, or regenerates a completed one), ``PUT /_sim/reports/{ref}`` (replace
  the report's bytes as given, e.g. an invalid report), ``POST /_sim/consents`` (``count``
  consents created and completed at once, for batches), ``GET /_sim/consents``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

import msgspec
from aiohttp import web

from ff_shared.clock import now_utc
from ff_shared.integrations.obv import schemas as wire
from ff_standins.obv.households import (
    HOUSEHOLDS,
    Household,
    generate_report,
    household_for,
)
from ff_standins.simulation import (
    MalformedKind,
    Simulation,
    add_simulation_routes,
    serve,
)

DEFAULT_PORT = 8103
DEFAULT_API_KEY = "ff-local-obv-key"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class Consent:
    reference: str
    application_reference: str
    redirect_uri: str | None
    created: datetime
    expires: datetime
    idempotency_key: str
    status: wire.ConsentStatus = "AwaitingAuthorisation"
    updated: datetime = field(default_factory=now_utc)
    household: Household | None = None
    report: bytes | None = None
    report_ready_at: float = 0.0


@dataclass
class Store:
    public_url: str
    api_key: str
    consents: dict[str, Consent] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    report_delay_seconds: float = 0.0
    consent_ttl_seconds: int = 3600


STORE = web.AppKey("store", Store)


def _error(
    status: int, code: str, message: str, error_code: str, path: str | None = None
) -> web.Response:
    body = wire.ErrorResponse(
        code=code,
        id=str(uuid.uuid4()),
        message=message,
        errors=(wire.ErrorDetail(error_code=error_code, message=message, path=path),),
    )
    return web.Response(
        status=status, body=msgspec.json.encode(body), content_type="application/json"
    )


def _report_status(consent: Consent) -> wire.ReportStatus:
    if consent.status != "Authorised":
        return "NotAvailable"
    if consent.report is None or time.monotonic() < consent.report_ready_at:
        return "Pending"
    return "Ready"


def _status(consent: Consent) -> wire.ConsentStatus:
    if consent.status == "AwaitingAuthorisation" and now_utc() >= consent.expires:
        consent.status = "Expired"
        consent.updated = consent.expires
    return consent.status


def _consent_body(store: Store, consent: Consent) -> bytes:
    status = _status(consent)
    return msgspec.json.encode(
        wire.ConsentResponse(
            data=wire.ConsentData(
                reference=consent.reference,
                application_reference=consent.application_reference,
                status=status,
                report_status=_report_status(consent),
                authorisation_url=f"{store.public_url}/journey/{consent.reference}",
                redirect_uri=consent.redirect_uri,
                creation_date_time=consent.created,
                status_update_date_time=consent.updated,
                expiration_date_time=consent.expires,
            ),
            links=wire.Links(self=f"{store.public_url}/v1/consents/{consent.reference}"),
        )
    )


def _authorised(request: web.Request) -> bool:
    given = request.headers.get("x-api-key", "")
    return secrets.compare_digest(given, request.app[STORE].api_key)


def _unauthorised() -> web.Response:
    return _error(
        401, "401 Unauthorized", "The API key is missing or not valid.", "UK.OBIE.Unauthorised"
    )


def _new_consent(
    store: Store, application_reference: str, redirect_uri: str | None, key: str
) -> Consent:
    now = now_utc().replace(microsecond=0)
    reference = "OBV-" + "".join(secrets.choice(_ALPHABET) for _ in range(12))
    consent = Consent(
        reference=reference,
        application_reference=application_reference,
        redirect_uri=redirect_uri,
        created=now,
        updated=now,
        expires=now + timedelta(seconds=store.consent_ttl_seconds),
        idempotency_key=key,
    )
    store.consents[reference] = consent
    store.by_key[key] = reference
    return consent


async def _create_consent(request: web.Request) -> web.Response:
    if not _authorised(request):
        return _unauthorised()
    store = request.app[STORE]
    key = request.headers.get("x-idempotency-key", "").strip()
    if not key or len(key) > 40:
        return _error(
            400,
            "400 BadRequest",
            "x-idempotency-key is required (1 to 40 characters).",
            "UK.OBIE.Header.Missing",
            "x-idempotency-key",
        )
    try:
        body = msgspec.json.decode(await request.read(), type=wire.ConsentRequest)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _error(400, "400 BadRequest", str(exc), "UK.OBIE.Field.Invalid", "Data")
    data = body.data
    if not data.application_reference.strip():
        return _error(
            400,
            "400 BadRequest",
            "ApplicationReference must not be blank.",
            "UK.OBIE.Field.Invalid",
            "Data.ApplicationReference",
        )
    if key in store.by_key:
        consent = store.consents[store.by_key[key]]
        if consent.application_reference != data.application_reference:
            return _error(
                400,
                "400 BadRequest",
                "The idempotency key was used for another request.",
                "UK.OBIE.Resource.ConsentMismatch",
                "x-idempotency-key",
            )
    else:
        consent = _new_consent(store, data.application_reference, data.redirect_uri, key)
    return web.Response(
        status=201, body=_consent_body(store, consent), content_type="application/json"
    )


def _find(request: web.Request) -> Consent | None:
    return request.app[STORE].consents.get(request.match_info["reference"])


def _not_found(request: web.Request) -> web.Response:
    return _error(
        404,
        "404 NotFound",
        f"No consent {request.match_info['reference']}.",
        "UK.OBIE.Resource.NotFound",
        "reference",
    )


async def _get_consent(request: web.Request) -> web.Response:
    if not _authorised(request):
        return _unauthorised()
    consent = _find(request)
    if consent is None:
        return _not_found(request)
    return web.Response(
        body=_consent_body(request.app[STORE], consent), content_type="application/json"
    )


def _complete(
    store: Store,
    consent: Consent,
    *,
    household: Household,
    outcome: str = "authorise",
    seed: int = 0,
    extra_transactions: int = 0,
) -> None:
    now = now_utc().replace(microsecond=0)
    consent.updated = now
    if outcome == "reject":
        consent.status = "Rejected"
        return
    consent.status = "Authorised"
    consent.household = household
    report = generate_report(
        reference=consent.reference,
        application_reference=consent.application_reference,
        household=household,
        generated_at=now,
        self_url=f"{store.public_url}/v1/reports/{consent.reference}",
        seed=seed,
        extra_transactions=extra_transactions,
    )
    consent.report = msgspec.json.encode(report)
    consent.report_ready_at = time.monotonic() + store.report_delay_seconds


def _household(value: str | None, reference: str) -> Household:
    if value is None or value == "":
        return household_for(reference)
    if value not in HOUSEHOLDS:
        raise web.HTTPBadRequest(text=f"household must be one of {', '.join(HOUSEHOLDS)}")
    return cast(Household, value)


async def _journey(request: web.Request) -> web.Response:
    """The customer's browser: choose a bank, authorise, and be sent back to the lender."""
    store = request.app[STORE]
    consent = _find(request)
    if consent is None:
        return web.Response(status=404, text="This bank connection link is not valid.")
    outcome = request.query.get("outcome", "authorise")
    if outcome not in ("authorise", "reject"):
        raise web.HTTPBadRequest(text="outcome must be authorise or reject")
    status = _status(consent)
    if status == "AwaitingAuthorisation":
        _complete(
            store,
            consent,
            household=_household(request.query.get("household"), consent.reference),
            outcome=outcome,
        )
    elif status == "Expired":
        return web.Response(status=410, text="This bank connection link has expired.")
    if consent.redirect_uri:
        separator = "&" if "?" in consent.redirect_uri else "?"
        query = urlencode({"reference": consent.reference, "status": consent.status})
        raise web.HTTPFound(f"{consent.redirect_uri}{separator}{query}")
    return web.Response(
        text=f"<html><body><p>Bank connection {consent.status.lower()}. "
        "You can close this window.</p></body></html>",
        content_type="text/html",
    )


async def _get_report(request: web.Request) -> web.Response:
    if not _authorised(request):
        return _unauthorised()
    consent = _find(request)
    if consent is None:
        return _not_found(request)
    report_status = _report_status(consent)
    if report_status != "Ready" or consent.report is None:
        return _error(
            409,
            "409 Conflict",
            f"The report is not ready (consent {consent.status}, report {report_status}).",
            "OBV.Report.NotReady",
        )
    return web.Response(body=consent.report, content_type="application/json")


async def _admin_config(request: web.Request) -> web.Response:
    store = request.app[STORE]
    try:
        body = json.loads(await request.read())
        if "report_delay_seconds" in body:
            store.report_delay_seconds = float(body["report_delay_seconds"])
        if "consent_ttl_seconds" in body:
            store.consent_ttl_seconds = int(body["consent_ttl_seconds"])
    except (ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(
        {
            "report_delay_seconds": store.report_delay_seconds,
            "consent_ttl_seconds": store.consent_ttl_seconds,
        }
    )


class _CompleteOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    household: str | None = None
    outcome: str = "authorise"
    seed: int = 0
    extra_transactions: int = 0


class _BatchOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    count: int
    household: str | None = None
    application_prefix: str = "batch"
    extra_transactions: int = 0


async def _admin_complete(request: web.Request) -> web.Response:
    store = request.app[STORE]
    consent = _find(request)
    if consent is None:
        return web.json_response({"error": "no such consent"}, status=404)
    try:
        options = msgspec.json.decode(await request.read() or b"{}", type=_CompleteOptions)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    _complete(
        store,
        consent,
        household=_household(options.household, consent.reference),
        outcome=options.outcome,
        seed=options.seed,
        extra_transactions=options.extra_transactions,
    )
    return web.Response(body=_consent_body(store, consent), content_type="application/json")


async def _admin_put_report(request: web.Request) -> web.Response:
    consent = _find(request)
    if consent is None:
        return web.json_response({"error": "no such consent"}, status=404)
    consent.report = await request.read()
    consent.status = "Authorised"
    consent.report_ready_at = 0.0
    return web.Response(status=204)


async def _admin_batch(request: web.Request) -> web.Response:
    store = request.app[STORE]
    try:
        options = msgspec.json.decode(await request.read(), type=_BatchOptions)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    references = []
    for n in range(options.count):
        application = f"{options.application_prefix}-{n:06d}"
        consent = _new_consent(store, application, None, f"batch-{uuid.uuid4()}")
        _complete(
            store,
            consent,
            household=_household(options.household, consent.reference),
            extra_transactions=options.extra_transactions,
        )
        references.append({"reference": consent.reference, "application_reference": application})
    return web.json_response({"consents": references}, status=201)


async def _admin_list(request: web.Request) -> web.Response:
    store = request.app[STORE]
    rows: list[dict[str, Any]] = [
        {
            "reference": c.reference,
            "application_reference": c.application_reference,
            "status": _status(c),
            "report_status": _report_status(c),
            "household": c.household,
        }
        for c in store.consents.values()
    ]
    return web.json_response({"consents": rows})


MALFORMED: dict[MalformedKind, bytes] = {
    "truncated": b'{"Data":{"Reference":"OBV-TRUNCATED","Account":[{"AccountId":"12',
    "wrong_shape": b'{"Data":{"Reference":42,"Account":"not a list"},"Links":{}}',
    "html": b"<html><body><h1>504 Gateway Time-out</h1></body></html>",
}


def create_app(*, public_url: str, api_key: str = DEFAULT_API_KEY) -> web.Application:
    app = web.Application()
    app[STORE] = Store(public_url=public_url.rstrip("/"), api_key=api_key)
    add_simulation_routes(app, Simulation(MALFORMED))
    app.router.add_post("/v1/consents", _create_consent)
    app.router.add_get("/v1/consents/{reference}", _get_consent)
    app.router.add_get("/v1/reports/{reference}", _get_report)
    app.router.add_get("/journey/{reference}", _journey)
    app.router.add_post("/_sim/config", _admin_config)
    app.router.add_post("/_sim/consents", _admin_batch)
    app.router.add_get("/_sim/consents", _admin_list)
    app.router.add_post("/_sim/consents/{reference}/complete", _admin_complete)
    app.router.add_put("/_sim/reports/{reference}", _admin_put_report)
    return app


def _default_port() -> int:
    """The port of ``FF_OBV_BASE_URL`` when it is set (as under ``ff dev``), else 8103."""
    url = os.environ.get("FF_OBV_BASE_URL")
    port = urlsplit(url).port if url else None
    return port or DEFAULT_PORT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Open Banking Vision simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=_default_port())
    parser.add_argument("--public-url", help="the URL customers reach it at (default: its own)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("FF_OBV_API_KEY", DEFAULT_API_KEY),
        help="the API key it accepts (default: FF_OBV_API_KEY)",
    )
    args = parser.parse_args(argv)
    if os.environ.get("FF_ENVIRONMENT") == "production":
        raise SystemExit("the OBV simulator does not run in production")
    public_url = args.public_url or f"http://{args.host}:{args.port}"
    serve(
        create_app(public_url=public_url, api_key=args.api_key),
        host=args.host,
        port=args.port,
        name="obv simulator",
    )


if __name__ == "__main__":
    main()
