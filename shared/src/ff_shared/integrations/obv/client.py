"""Open Banking Vision client over aiohttp: consents, their status, and reports.

Every call has a timeout and a deadline, honours ``429`` + ``Retry-After`` and retries 5xx and
dropped connections with jittered backoff (:mod:`ff_shared.integrations.http`). Starting a
consent is a POST made safe to repeat by its ``x-idempotency-key``, so it is retried like a read.
A report is returned with its raw bytes, exactly as received, for hashing and quarantine; the
domain view of it comes from :mod:`ff_shared.integrations.obv.mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

import aiohttp
import msgspec
import structlog

from ff_shared.integrations.errors import (
    AuthenticationFailed,
    IntegrationError,
    MalformedResponse,
    RequestRejected,
    ResourceNotFound,
    RetryableIntegrationError,
    UpstreamUnavailable,
)
from ff_shared.integrations.http import HttpResponse, RetryPolicy, decode_json, send
from ff_shared.integrations.obv import schemas as wire
from ff_shared.settings import ObvSettings

log = structlog.get_logger()

SERVICE = "obv"


class ReportNotReady(RetryableIntegrationError):
    """The consent is not authorised yet, or the provider is still analysing the data."""

    kind = "report_not_ready"


class FetchedReport(msgspec.Struct, frozen=True, kw_only=True):
    raw: bytes
    """The body exactly as OBV sent it."""
    report: wire.Report


class ObvClient:
    def __init__(self, session: aiohttp.ClientSession, settings: ObvSettings) -> None:
        self._session = session
        self._settings = settings
        # Behind the gateway the client holds no credential: the gateway injects the API key.
        self._api_key = None if settings.gateway_url is not None else settings.api_key
        if settings.gateway_url is None and settings.api_key is None:
            raise ValueError("OBV needs an API key, or a gateway URL to call through")
        self._base = (settings.gateway_url or settings.base_url).rstrip("/")
        self._policy = RetryPolicy(
            timeout_seconds=settings.timeout_seconds,
            deadline_seconds=settings.retry_deadline_seconds,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        idempotency_key: str | None = None,
    ) -> HttpResponse:
        async def headers() -> Mapping[str, str]:
            values = {"Accept": "application/json"}
            if self._api_key is not None:
                values["x-api-key"] = self._api_key
            if body is not None:
                values["Content-Type"] = "application/json"
            if idempotency_key is not None:
                values["x-idempotency-key"] = idempotency_key
            return values

        return await send(
            self._session,
            method,
            f"{self._base}{path}",
            service=SERVICE,
            policy=self._policy,
            headers=headers,
            body=body,
            idempotent=method == "GET" or idempotency_key is not None,
        )

    async def start_consent(
        self, application_id: str, *, idempotency_key: str, redirect_uri: str | None = None
    ) -> wire.ConsentData:
        """Start (or, with the same key, find again) a consent journey for an application:
        its ``reference`` and the ``authorisation_url`` to send the customer to."""
        request = wire.ConsentRequest(
            data=wire.ConsentRequestData(
                application_reference=application_id,
                redirect_uri=redirect_uri
                if redirect_uri is not None
                else self._settings.callback_url,
            )
        )
        response = await self._call(
            "POST",
            "/v1/consents",
            body=msgspec.json.encode(request),
            idempotency_key=idempotency_key,
        )
        if response.status not in (200, 201):
            raise _error_for(response, "starting a consent")
        consent = decode_json(response, wire.ConsentResponse, service=SERVICE, what="the consent")
        log.info("obv_consent_started", reference=consent.data.reference)
        return consent.data

    async def consent(self, reference: str) -> wire.ConsentData:
        response = await self._call("GET", f"/v1/consents/{quote(reference, safe='')}")
        if response.status != 200:
            raise _error_for(response, "reading a consent")
        return decode_json(response, wire.ConsentResponse, service=SERVICE, what="the consent").data

    async def fetch_report(self, reference: str) -> FetchedReport:
        """The full report: accounts, balances, a year of transactions, the summary.

        Raises ``ReportNotReady`` (retryable) while it is not ready, ``ResourceNotFound`` for an
        unknown reference, ``MalformedResponse`` (with the raw body) when it is not the wire
        shape."""
        response = await self._call("GET", f"/v1/reports/{quote(reference, safe='')}")
        if response.status == 409:
            raise ReportNotReady(SERVICE, "the report is not ready yet", status=409)
        if response.status != 200:
            raise _error_for(response, "fetching a report")
        report = decode_json(response, wire.Report, service=SERVICE, what="the report")
        if report.data.reference != reference:
            raise MalformedResponse(
                SERVICE,
                "the report answered is for another reference",
                status=200,
                raw=response.body,
                problems=("Data.Reference: does not match the reference asked for",),
            )
        log.info(
            "obv_report_fetched",
            reference=reference,
            accounts=len(report.data.account),
            transactions=len(report.data.transaction),
            size_bytes=len(response.body),
        )
        return FetchedReport(raw=response.body, report=report)


def _error_for(response: HttpResponse, what: str) -> IntegrationError:
    status = response.status
    message = f"HTTP {status}"
    code: str | None = None
    try:
        error = msgspec.json.decode(response.body, type=wire.ErrorResponse)
        code = error.errors[0].error_code if error.errors else error.code
        message = error.message or message
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    if status >= 500:
        return UpstreamUnavailable(SERVICE, f"{what} answered {status}", status=status)
    if status in (401, 403):
        return AuthenticationFailed(SERVICE, f"{what}: {message}", status=status)
    if status == 404:
        return ResourceNotFound(SERVICE, f"{what}: {message}", status=status)
    if status < 400:
        return MalformedResponse(
            SERVICE, f"{what} answered an unexpected {status}", status=status, raw=response.body
        )
    return RequestRejected(SERVICE, f"{what}: {message}", status=status, code=code)
