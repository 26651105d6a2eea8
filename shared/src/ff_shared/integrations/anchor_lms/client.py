"""Anchor LMS over SOAP 1.1: zeep's async transport, the WSDL from the repository.

Each call carries the platform's Credentials inside the SOAP body, so neither this module nor
zeep's transport logs a body (the transport here is zeep's with its body logging removed, and
errors are raised without the response content attached). Retryable failures are retried a
few times with jittered backoff inside ``max_attempts``; every operation is idempotent on the
LMS side, so retrying after an unknown outcome is safe.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import structlog
import zeep
import zeep.exceptions
import zeep.helpers
from lxml import etree
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport

from ff_shared.domain.loans import (
    CustomerDetails,
    Instalment,
    Loan,
    LoanTerms,
    LoanTransaction,
    decimal_from_pence,
)
from ff_shared.integrations.anchor_lms.errors import (
    FAULT_TYPES,
    SERVICE,
    AnchorLmsClientFault,
    AnchorLmsServerFault,
)
from ff_shared.integrations.anchor_lms.schemas import (
    NAMESPACE,
    CreatedAgreement,
    LedgerAdjustment,
    PaymentReceipt,
    WireError,
    adjustment_from_wire,
    customer_to_wire,
    instalment_from_wire,
    loan_from_wire,
    receipt_from_wire,
    terms_to_wire,
    transaction_from_wire,
)
from ff_shared.integrations.errors import (
    IntegrationError,
    MalformedResponse,
    RequestRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from ff_shared.settings import AnchorLmsSettings

log = structlog.get_logger()

WSDL_PATH = Path(__file__).with_name("anchor.wsdl")
BINDING = f"{{{NAMESPACE}}}BasicHttpBinding_IAnchorCollections"


class _QuietTransport(AsyncTransport):
    """zeep's async transport without its debug log of every request and response body."""

    async def post(self, address: str, message: bytes, headers: dict[str, str]) -> Any:
        return await self.client.post(address, content=message, headers=headers)


def _fault_code(detail: Any) -> str | None:
    if detail is None or not isinstance(detail, etree._Element):
        return None
    code = detail.find(f".//{{{NAMESPACE}}}AnchorFault/{{{NAMESPACE}}}Code")
    return None if code is None or not code.text else code.text.strip()


def translate(exc: BaseException, operation: str) -> IntegrationError:
    """The typed error for what went wrong; never carries the response body."""
    if isinstance(exc, IntegrationError):
        return exc
    if isinstance(exc, zeep.exceptions.Fault):
        soap_code = str(exc.code or "")
        code = _fault_code(exc.detail)
        detail = f"fault {code or soap_code or 'unknown'} on {operation}"
        if code in FAULT_TYPES:
            return FAULT_TYPES[code](detail, fault_code=code, operation=operation)
        fault_type = AnchorLmsServerFault if soap_code.endswith("Server") else AnchorLmsClientFault
        return fault_type(detail, fault_code=code or soap_code, operation=operation)
    if isinstance(exc, zeep.exceptions.TransportError):
        status = int(exc.status_code or 0)
        if status >= 500:
            return UpstreamUnavailable(SERVICE, f"HTTP {status} on {operation}", status=status)
        if 400 <= status < 500:
            return RequestRejected(SERVICE, f"HTTP {status} on {operation}", status=status)
        return MalformedResponse(
            SERVICE, f"{operation} answered with a body that is not XML", status=status or None
        )
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(SERVICE, f"no answer to {operation} in time")
    if isinstance(exc, httpx.TransportError):
        return UpstreamUnavailable(
            SERVICE, f"connection failed on {operation} ({type(exc).__name__})"
        )
    return MalformedResponse(
        SERVICE,
        f"{operation} answered with a reply the WSDL does not describe ({type(exc).__name__})",
        problems=(str(exc)[:200],) if isinstance(exc, WireError) else (),
    )


_TRANSLATED = (
    zeep.exceptions.Error,
    httpx.HTTPError,
    etree.LxmlError,
    WireError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
)
"""What a call can raise besides our own errors: each becomes one typed error."""


class AnchorLmsClient:
    """One per process, made at start-up; close with :meth:`aclose`."""

    def __init__(
        self,
        settings: AnchorLmsSettings,
        *,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(
                settings.timeout_seconds, connect=settings.connect_timeout_seconds
            ),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            follow_redirects=False,
        )
        # zeep wants a sync client for fetching WSDLs; ours is a local file, so it stays idle.
        self._wsdl_http = httpx.Client(timeout=settings.connect_timeout_seconds)
        transport = _QuietTransport(  # type: ignore[no-untyped-call]
            client=self._http, wsdl_client=self._wsdl_http
        )
        self._zeep = zeep.AsyncClient(  # type: ignore[no-untyped-call]
            str(WSDL_PATH),
            transport=transport,
            settings=zeep.Settings(strict=True, xml_huge_tree=False, forbid_dtd=True),
        )
        self._service = AsyncServiceProxy(  # type: ignore[no-untyped-call]
            self._zeep, self._zeep.wsdl.bindings[BINDING], address=settings.base_url
        )

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()
        self._wsdl_http.close()

    async def __aenter__(self) -> AnchorLmsClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    def _request(self, **business: Any) -> dict[str, Any]:
        return {
            "Credentials": {
                "UserName": self._settings.username,
                "UserID": self._settings.user_id,
                "Password": self._settings.password,
            },
            **business,
        }

    async def _call(
        self, operation: str, request: dict[str, Any], convert: Callable[[Any], Any]
    ) -> Any:
        attempts = max(1, self._settings.max_attempts)
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            try:
                reply = await getattr(self._service, operation)(request=request)
                result = convert(zeep.helpers.serialize_object(reply, dict))  # type: ignore[no-untyped-call]
            except _TRANSLATED as exc:
                error = translate(exc, operation)
                log.warning(
                    "anchor_lms_call_failed",
                    operation=operation,
                    attempt=attempt,
                    error=error.kind,
                    status=error.status,
                    fault_code=getattr(error, "fault_code", None),
                    retryable=error.retryable,
                    duration_ms=round((time.perf_counter() - started) * 1000),
                )
                if not error.retryable or attempt == attempts:
                    raise error from None
                backoff = self._settings.backoff_seconds * 2 ** (attempt - 1)
                await self._sleep(backoff * (0.5 + random.random()))
                continue
            log.info(
                "anchor_lms_called",
                operation=operation,
                attempt=attempt,
                duration_ms=round((time.perf_counter() - started) * 1000),
            )
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def create_agreement(
        self, *, application_id: str, customer: CustomerDetails, terms: LoanTerms
    ) -> CreatedAgreement:
        """Book the loan for ``application_id``; a second call returns the same agreement."""

        def convert(result: Any) -> CreatedAgreement:
            created = result.get("Created") if isinstance(result, dict) else None
            if not isinstance(created, bool):
                raise WireError("Created is missing")
            return CreatedAgreement(created=created, loan=loan_from_wire(result.get("Agreement")))

        created: CreatedAgreement = await self._call(
            "CreateAgreement",
            self._request(
                ExternalReference=application_id,
                Customer=customer_to_wire(customer),
                Loan=terms_to_wire(terms),
            ),
            convert,
        )
        if created.loan.application_id not in (None, application_id):
            raise MalformedResponse(SERVICE, "CreateAgreement answered for another application")
        return created

    async def get_agreement(self, agreement_number: str) -> Loan:
        def convert(result: Any) -> Loan:
            # zeep unwraps a result with a single element: GetAgreementResult is its Agreement.
            return loan_from_wire(result)

        loan: Loan = await self._call(
            "GetAgreement", self._request(AgreementNumber=agreement_number), convert
        )
        return loan

    async def get_schedule(self, agreement_number: str) -> list[Instalment]:
        def convert(result: Any) -> list[Instalment]:
            if not isinstance(result, dict) or not isinstance(result.get("Instalments"), dict):
                raise WireError("Instalments is missing")
            return [instalment_from_wire(i) for i in result["Instalments"].get("Instalment") or []]

        schedule: list[Instalment] = await self._call(
            "GetSchedule", self._request(AgreementNumber=agreement_number), convert
        )
        return schedule

    async def get_transactions(
        self,
        agreement_number: str,
        *,
        from_date: date | None = None,
        to_date: date | None = None,
    ) -> list[LoanTransaction]:
        def convert(result: Any) -> list[LoanTransaction]:
            if not isinstance(result, dict) or not isinstance(result.get("Transactions"), dict):
                raise WireError("Transactions is missing")
            return [
                transaction_from_wire(t) for t in result["Transactions"].get("Transaction") or []
            ]

        transactions: list[LoanTransaction] = await self._call(
            "GetTransactions",
            self._request(AgreementNumber=agreement_number, FromDate=from_date, ToDate=to_date),
            convert,
        )
        return transactions

    async def record_payment(
        self,
        agreement_number: str,
        *,
        amount_pence: int,
        payment_date: date,
        reference: str,
    ) -> PaymentReceipt:
        """Record a payment; the LMS records each ``reference`` once per agreement."""
        receipt: PaymentReceipt = await self._call(
            "RecordPayment",
            self._request(
                AgreementNumber=agreement_number,
                Amount=decimal_from_pence(amount_pence),
                PaymentDate=payment_date,
                PaymentReference=reference,
            ),
            lambda result: receipt_from_wire(agreement_number, result),
        )
        return receipt

    async def reverse_payment(
        self, agreement_number: str, *, reference: str, reversal_date: date, reason: str
    ) -> LedgerAdjustment:
        """Take back the payment recorded under ``reference`` (the bank returned the money);
        the LMS reverses a payment once, a repeat answers ``duplicate``."""
        adjustment: LedgerAdjustment = await self._call(
            "ReversePayment",
            self._request(
                AgreementNumber=agreement_number,
                PaymentReference=reference,
                ReversalDate=reversal_date,
                ReasonCode=reason,
            ),
            lambda result: adjustment_from_wire(agreement_number, result, "ReversePaymentResult"),
        )
        return adjustment

    async def record_unpaid_collection(
        self,
        agreement_number: str,
        *,
        instalment_number: int,
        amount_pence: int,
        return_date: date,
        reference: str,
        reason: str,
    ) -> LedgerAdjustment:
        """Note a Direct Debit returned unpaid: its instalment is in arrears from now on. The
        LMS records each ``reference`` once, a repeat answers ``duplicate``."""
        adjustment: LedgerAdjustment = await self._call(
            "RecordUnpaidCollection",
            self._request(
                AgreementNumber=agreement_number,
                InstalmentNumber=instalment_number,
                Amount=decimal_from_pence(amount_pence),
                ReturnDate=return_date,
                CollectionReference=reference,
                ReasonCode=reason,
            ),
            lambda result: adjustment_from_wire(
                agreement_number, result, "RecordUnpaidCollectionResult"
            ),
        )
        return adjustment

    async def change_payment_day(
        self, agreement_number: str, *, payment_day: int, from_instalment: int
    ) -> list[Instalment]:
        """Every instalment from ``from_instalment`` on falls due on ``payment_day`` of its
        month; the new schedule. Setting the same day again changes nothing."""

        def convert(result: Any) -> list[Instalment]:
            if not isinstance(result, dict) or not isinstance(result.get("Instalments"), dict):
                raise WireError("Instalments is missing")
            return [instalment_from_wire(i) for i in result["Instalments"].get("Instalment") or []]

        schedule: list[Instalment] = await self._call(
            "ChangePaymentDay",
            self._request(
                AgreementNumber=agreement_number,
                PaymentDay=payment_day,
                FromInstalment=from_instalment,
            ),
            convert,
        )
        return schedule
