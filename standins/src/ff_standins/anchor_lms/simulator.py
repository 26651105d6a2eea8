"""An Anchor LMS simulator: SOAP 1.1 envelopes and faults for the repository's WSDL, over HTTP.

``python -m ff_standins.anchor_lms.simulator --port 8102`` serves
``POST /AnchorCollections.svc`` (``?wsdl`` answers the WSDL) for the operations the platform
uses. Agreements live in memory, or, given ``--loanbook`` (an ODBC connection string), in the
loan-book database itself, so what the simulator books and the payments it records are what the
platform's loan-book reads see on the local stack.

Like Anchor it checks the Credentials in every request, books at most one agreement per
ExternalReference (the platform's application id: a second CreateAgreement returns the first
agreement with ``Created=false``), records each PaymentReference once per agreement, reverses
each recorded payment at most once (``ReversePayment``) and notes each returned Direct Debit
once (``RecordUnpaidCollection``, by its CollectionReference); ``ChangePaymentDay``
re-dates the schedule (the same day again changes nothing).

Misbehaviour on demand, through the admin API shared by every simulator
(:mod:`ff_standins.simulation`, ``/_sim/faults``: slow, 5xx, malformed body,
dropped connection, before or after the request took effect), plus SOAP faults:
``POST /_sim/soap-faults`` ``{"code": "ServiceUnavailable", "times": 1, "operation": null,
"after_processing": false}``. ``GET /_sim/agreements?reference=APP`` lists the agreement
numbers booked for an application, to check idempotency from the LMS's side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import urlparse

import aioodbc
import msgspec
import zeep
import zeep.helpers
from aiohttp import web
from lxml import etree

from ff_shared.clock import london_today, now_utc
from ff_shared.domain.loan_ledger import BadPaymentDay, PaidLoan, mark_unpaid, pay, redate, reverse
from ff_shared.domain.loans import (
    BadAmount,
    CustomerDetails,
    Instalment,
    Loan,
    LoanStatus,
    LoanTerms,
    LoanTransaction,
    TransactionType,
    agreement_number_for,
    book,
    decimal_from_pence,
    pence_from_decimal,
)
from ff_shared.integrations.anchor_lms.client import BINDING, WSDL_PATH
from ff_shared.integrations.anchor_lms.schemas import (
    AGREEMENT_STATUS_WIRE,
    NAMESPACE,
    WireError,
    customer_from_wire,
    instalment_to_wire,
    loan_to_wire,
    terms_from_wire,
    transaction_to_wire,
)
from ff_shared.settings import AnchorLmsSettings, LoanBookSettings
from ff_shared.stores.loanbook import queries
from ff_shared.stores.loanbook.connection import close_pool, create_pool
from ff_shared.stores.loanbook.schema import ensure_loanbook
from ff_standins.loanbook import ledger
from ff_standins.simulation import (
    ADMIN_PREFIX,
    MalformedKind,
    Simulation,
    add_simulation_routes,
    serve,
)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_PATH = "/AnchorCollections.svc"
DEFAULT_PORT = 8102
OPERATIONS = (
    "CreateAgreement",
    "GetAgreement",
    "GetSchedule",
    "GetTransactions",
    "RecordPayment",
    "ReversePayment",
    "RecordUnpaidCollection",
    "ChangePaymentDay",
)

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)

_MALFORMED: dict[MalformedKind, bytes] = {
    "truncated": (
        b'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="' + SOAP_ENV.encode() + b'">'
        b"<s:Body><GetAgreementResponse"
    ),
    "wrong_shape": (
        b'<s:Envelope xmlns:s="' + SOAP_ENV.encode() + b'"><s:Body>'
        b'<Unexpected xmlns="' + NAMESPACE.encode() + b'"><Balance>lots</Balance></Unexpected>'
        b"</s:Body></s:Envelope>"
    ),
    "html": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
}


class SoapFault(Exception):
    def __init__(self, code: str, message: str, *, server: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.server = server


class SoapFaultSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: str = "ServiceUnavailable"
    message: str = "The service is temporarily unavailable."
    server: bool | None = None
    """``s:Server`` (default for ServiceUnavailable and InternalError) or ``s:Client``."""
    times: int | None = 1
    operation: str | None = None
    after_processing: bool = False


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    user_id: str
    password: str


class Booked(msgspec.Struct, frozen=True, kw_only=True):
    loan: Loan
    created: bool


class Paid(msgspec.Struct, frozen=True, kw_only=True):
    transaction_id: int
    duplicate: bool
    balance_pence: int
    status: LoanStatus


class Adjusted(msgspec.Struct, frozen=True, kw_only=True):
    """A reversal or a returned collection, as the LMS answers it."""

    transaction_id: int
    duplicate: bool
    amount_pence: int
    balance_pence: int
    arrears_pence: int
    status: LoanStatus


def _adjusted(done: PaidLoan) -> Adjusted:
    return Adjusted(
        transaction_id=done.transaction.id,
        duplicate=False,
        amount_pence=done.transaction.amount_pence,
        balance_pence=done.loan.balance_pence,
        arrears_pence=done.loan.arrears_pence,
        status=done.loan.status,
    )


def _repeat(loan: Loan, entry: LoanTransaction) -> Adjusted:
    return Adjusted(
        transaction_id=entry.id,
        duplicate=True,
        amount_pence=entry.amount_pence,
        balance_pence=loan.balance_pence,
        arrears_pence=loan.arrears_pence,
        status=loan.status,
    )


class Store(Protocol):
    async def book(
        self,
        reference: str,
        customer: CustomerDetails,
        terms: LoanTerms,
        *,
        today: date,
        now: datetime,
    ) -> Booked: ...

    async def loan(self, number: str) -> Loan | None: ...

    async def schedule(self, number: str) -> list[Instalment] | None: ...

    async def transactions(self, number: str) -> list[LoanTransaction] | None: ...

    async def pay(
        self,
        number: str,
        *,
        amount_pence: int,
        reference: str,
        payment_date: date,
        today: date,
        now: datetime,
    ) -> Paid: ...

    async def reverse(
        self, number: str, *, reference: str, reversal_date: date, today: date, now: datetime
    ) -> Adjusted: ...

    async def unpaid(
        self,
        number: str,
        *,
        instalment_number: int,
        amount_pence: int,
        reference: str,
        return_date: date,
        today: date,
        now: datetime,
    ) -> Adjusted: ...

    async def change_payment_day(
        self, number: str, *, payment_day: int, from_instalment: int, today: date, now: datetime
    ) -> list[Instalment]: ...

    async def numbers_for_reference(self, reference: str) -> list[str]: ...


class _Agreement(msgspec.Struct, kw_only=True):
    loan: Loan
    schedule: tuple[Instalment, ...]
    transactions: list[LoanTransaction]


class MemoryStore:
    """Agreements in memory (tests, or a simulator without a loan book)."""

    def __init__(self) -> None:
        self._agreements: dict[str, _Agreement] = {}
        self._by_reference: dict[str, str] = {}
        self._next_transaction = 1
        self._lock = asyncio.Lock()

    async def book(
        self,
        reference: str,
        customer: CustomerDetails,
        terms: LoanTerms,
        *,
        today: date,
        now: datetime,
    ) -> Booked:
        async with self._lock:
            existing = self._by_reference.get(reference)
            if existing is not None:
                return Booked(loan=self._agreements[existing].loan, created=False)
            booked = book(
                terms,
                agreement_number=agreement_number_for(len(self._agreements) + 1),
                customer_id=customer.platform_customer_id,
                application_id=reference,
                first_transaction_id=self._next_transaction,
                today=today,
                now=now,
            )
            self._next_transaction += len(booked.transactions)
            number = booked.loan.agreement_number
            self._agreements[number] = _Agreement(
                loan=booked.loan, schedule=booked.schedule, transactions=list(booked.transactions)
            )
            self._by_reference[reference] = number
            return Booked(loan=booked.loan, created=True)

    async def loan(self, number: str) -> Loan | None:
        found = self._agreements.get(number)
        return None if found is None else found.loan

    async def schedule(self, number: str) -> list[Instalment] | None:
        found = self._agreements.get(number)
        return None if found is None else list(found.schedule)

    async def transactions(self, number: str) -> list[LoanTransaction] | None:
        found = self._agreements.get(number)
        return None if found is None else list(found.transactions)

    async def pay(
        self,
        number: str,
        *,
        amount_pence: int,
        reference: str,
        payment_date: date,
        today: date,
        now: datetime,
    ) -> Paid:
        async with self._lock:
            found = self._agreements.get(number)
            if found is None:
                raise _not_found(number)
            for entry in found.transactions:
                if entry.type_id == TransactionType.PAYMENT and entry.reference == reference:
                    return Paid(
                        transaction_id=entry.id,
                        duplicate=True,
                        balance_pence=found.loan.balance_pence,
                        status=found.loan.status,
                    )
            _check_payable(found.loan, amount_pence)
            paid = pay(
                found.loan,
                found.schedule,
                amount_pence=amount_pence,
                reference=reference,
                transaction_id=self._next_transaction,
                payment_date=payment_date,
                today=today,
                now=now,
            )
            self._next_transaction += 1
            found.loan, found.schedule = paid.loan, paid.schedule
            found.transactions.append(paid.transaction)
            return Paid(
                transaction_id=paid.transaction.id,
                duplicate=False,
                balance_pence=paid.loan.balance_pence,
                status=paid.loan.status,
            )

    async def reverse(
        self, number: str, *, reference: str, reversal_date: date, today: date, now: datetime
    ) -> Adjusted:
        async with self._lock:
            found = self._agreements.get(number)
            if found is None:
                raise _not_found(number)
            payment = _find(found.transactions, TransactionType.PAYMENT, reference)
            if payment is None:
                raise _payment_not_found(reference)
            earlier = _find(found.transactions, TransactionType.PAYMENT_REVERSAL, reference)
            if earlier is not None:
                return _repeat(found.loan, earlier)
            done = reverse(
                found.loan,
                found.schedule,
                amount_pence=payment.amount_pence,
                reference=reference,
                transaction_id=self._next_transaction,
                reversal_date=reversal_date,
                today=today,
                now=now,
            )
            return self._apply(found, done)

    async def unpaid(
        self,
        number: str,
        *,
        instalment_number: int,
        amount_pence: int,
        reference: str,
        return_date: date,
        today: date,
        now: datetime,
    ) -> Adjusted:
        async with self._lock:
            found = self._agreements.get(number)
            if found is None:
                raise _not_found(number)
            earlier = _find(found.transactions, TransactionType.UNPAID_COLLECTION, reference)
            if earlier is not None:
                return _repeat(found.loan, earlier)
            try:
                done = mark_unpaid(
                    found.loan,
                    found.schedule,
                    instalment_number=instalment_number,
                    amount_pence=amount_pence,
                    reference=reference,
                    transaction_id=self._next_transaction,
                    return_date=return_date,
                    today=today,
                    now=now,
                )
            except LookupError:
                raise _no_instalment(number, instalment_number) from None
            return self._apply(found, done)

    async def change_payment_day(
        self, number: str, *, payment_day: int, from_instalment: int, today: date, now: datetime
    ) -> list[Instalment]:
        async with self._lock:
            found = self._agreements.get(number)
            if found is None:
                raise _not_found(number)
            try:
                found.loan, found.schedule = redate(
                    found.loan,
                    found.schedule,
                    payment_day=payment_day,
                    from_instalment=from_instalment,
                    today=today,
                    now=now,
                )
            except BadPaymentDay as exc:
                raise SoapFault("ValidationFailed", str(exc)) from None
            return list(found.schedule)

    def _apply(self, found: _Agreement, done: PaidLoan) -> Adjusted:
        self._next_transaction += 1
        found.loan, found.schedule = done.loan, done.schedule
        found.transactions.append(done.transaction)
        return _adjusted(done)

    async def numbers_for_reference(self, reference: str) -> list[str]:
        number = self._by_reference.get(reference)
        return [] if number is None else [number]


class LoanBookStore:
    """Agreements in the loan-book database, as the real LMS keeps them (the local stack)."""

    def __init__(self, pool: aioodbc.Pool) -> None:
        self._pool = pool
        # One writer at a time: keys are allocated as MAX + 1 and bookings are checked by
        # reference first, so concurrent writers in this process must not interleave.
        self._lock = asyncio.Lock()

    async def book(
        self,
        reference: str,
        customer: CustomerDetails,
        terms: LoanTerms,
        *,
        today: date,
        now: datetime,
    ) -> Booked:
        async with self._lock, self._pool.acquire() as conn:
            existing = await queries.find_loan_by_application(conn, reference)
            if existing is not None:
                return Booked(loan=existing, created=False)
            booked = await ledger.book_agreement(
                conn,
                customer=customer,
                terms=terms,
                application_id=reference,
                today=today,
                now=now,
            )
            return Booked(loan=booked.loan, created=True)

    async def loan(self, number: str) -> Loan | None:
        async with self._pool.acquire() as conn:
            return await queries.find_loan(conn, number)

    async def schedule(self, number: str) -> list[Instalment] | None:
        async with self._pool.acquire() as conn:
            if await queries.find_loan(conn, number) is None:
                return None
            return await queries.get_schedule(conn, number)

    async def transactions(self, number: str) -> list[LoanTransaction] | None:
        async with self._pool.acquire() as conn:
            if await queries.find_loan(conn, number) is None:
                return None
            return await queries.all_transactions(conn, number)

    async def pay(
        self,
        number: str,
        *,
        amount_pence: int,
        reference: str,
        payment_date: date,
        today: date,
        now: datetime,
    ) -> Paid:
        async with self._lock, self._pool.acquire() as conn:
            loan = await queries.find_loan(conn, number)
            if loan is None:
                raise _not_found(number)
            existing = await queries.find_payment(conn, number, reference)
            if existing is not None:
                return Paid(
                    transaction_id=existing.id,
                    duplicate=True,
                    balance_pence=loan.balance_pence,
                    status=loan.status,
                )
            _check_payable(loan, amount_pence)
            paid = await ledger.record_payment(
                conn,
                agreement_number=number,
                amount_pence=amount_pence,
                reference=reference,
                payment_date=payment_date,
                today=today,
                now=now,
            )
            return Paid(
                transaction_id=paid.transaction.id,
                duplicate=False,
                balance_pence=paid.loan.balance_pence,
                status=paid.loan.status,
            )

    async def reverse(
        self, number: str, *, reference: str, reversal_date: date, today: date, now: datetime
    ) -> Adjusted:
        async with self._lock, self._pool.acquire() as conn:
            loan = await queries.find_loan(conn, number)
            if loan is None:
                raise _not_found(number)
            payment = await queries.find_payment(conn, number, reference)
            if payment is None:
                raise _payment_not_found(reference)
            kind = TransactionType.PAYMENT_REVERSAL
            earlier = await ledger.find_transaction(conn, number, kind, reference)
            if earlier is not None:
                return _repeat(loan, earlier)
            done = await ledger.reverse_payment(
                conn,
                agreement_number=number,
                amount_pence=payment.amount_pence,
                reference=reference,
                reversal_date=reversal_date,
                today=today,
                now=now,
            )
            return _adjusted(done)

    async def unpaid(
        self,
        number: str,
        *,
        instalment_number: int,
        amount_pence: int,
        reference: str,
        return_date: date,
        today: date,
        now: datetime,
    ) -> Adjusted:
        async with self._lock, self._pool.acquire() as conn:
            loan = await queries.find_loan(conn, number)
            if loan is None:
                raise _not_found(number)
            kind = TransactionType.UNPAID_COLLECTION
            earlier = await ledger.find_transaction(conn, number, kind, reference)
            if earlier is not None:
                return _repeat(loan, earlier)
            try:
                done = await ledger.record_unpaid_collection(
                    conn,
                    agreement_number=number,
                    instalment_number=instalment_number,
                    amount_pence=amount_pence,
                    reference=reference,
                    return_date=return_date,
                    today=today,
                    now=now,
                )
            except LookupError:
                raise _no_instalment(number, instalment_number) from None
            return _adjusted(done)

    async def change_payment_day(
        self, number: str, *, payment_day: int, from_instalment: int, today: date, now: datetime
    ) -> list[Instalment]:
        async with self._lock, self._pool.acquire() as conn:
            if await queries.find_loan(conn, number) is None:
                raise _not_found(number)
            try:
                return await ledger.change_payment_day(
                    conn,
                    agreement_number=number,
                    payment_day=payment_day,
                    from_instalment=from_instalment,
                    today=today,
                    now=now,
                )
            except BadPaymentDay as exc:
                raise SoapFault("ValidationFailed", str(exc)) from None

    async def numbers_for_reference(self, reference: str) -> list[str]:
        async with self._pool.acquire() as conn:
            return await ledger.agreement_numbers_for_reference(conn, reference)


def _not_found(number: str) -> SoapFault:
    return SoapFault("AgreementNotFound", f"No agreement {number} exists.")


def _payment_not_found(reference: str) -> SoapFault:
    return SoapFault("PaymentNotFound", f"No payment {reference} is recorded on the agreement.")


def _no_instalment(number: str, instalment: int) -> SoapFault:
    return SoapFault("ValidationFailed", f"Agreement {number} has no instalment {instalment}.")


def _find(
    transactions: list[LoanTransaction], kind: TransactionType, reference: str
) -> LoanTransaction | None:
    return next(
        (t for t in transactions if t.type_id == int(kind) and t.reference == reference), None
    )


def _check_payable(loan: Loan, amount_pence: int) -> None:
    if loan.status == LoanStatus.SETTLED:
        raise SoapFault("AgreementSettled", f"Agreement {loan.agreement_number} is settled.")
    if amount_pence > loan.balance_pence:
        raise SoapFault(
            "PaymentExceedsBalance",
            f"The payment exceeds the balance of {decimal_from_pence(loan.balance_pence)}.",
        )


def fault_envelope(fault: SoapFault) -> bytes:
    """A WCF-style SOAP 1.1 fault with an AnchorFault detail."""
    s = f"{{{SOAP_ENV}}}"
    envelope = etree.Element(f"{s}Envelope", nsmap={"s": SOAP_ENV})
    body = etree.SubElement(envelope, f"{s}Body")
    node = etree.SubElement(body, f"{s}Fault")
    etree.SubElement(node, "faultcode").text = "s:Server" if fault.server else "s:Client"
    faultstring = etree.SubElement(node, "faultstring")
    faultstring.text = fault.message
    faultstring.set("{http://www.w3.org/XML/1998/namespace}lang", "en-GB")
    detail = etree.SubElement(node, "detail")
    anchor = etree.SubElement(detail, f"{{{NAMESPACE}}}AnchorFault", nsmap={None: NAMESPACE})
    etree.SubElement(anchor, f"{{{NAMESPACE}}}Code").text = fault.code
    etree.SubElement(anchor, f"{{{NAMESPACE}}}Message").text = fault.message
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


def _soap_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=body, headers={"Content-Type": "text/xml; charset=utf-8"}
    )


def _amount(value: Any, field: str) -> int:
    try:
        pence = pence_from_decimal(value)
    except (BadAmount, ArithmeticError, TypeError, ValueError):
        raise SoapFault(
            "ValidationFailed", f"{field} must be an amount in pounds and pence."
        ) from None
    if pence <= 0:
        raise SoapFault("ValidationFailed", f"{field} must be positive.")
    return pence


def _field(request: dict[str, Any], name: str) -> Any:
    value = request.get(name)
    if value is None or value == "":
        raise SoapFault("ValidationFailed", f"{name} is required.")
    return value


class AnchorSimulator:
    """The SOAP endpoint: turns envelopes into store calls and answers in the WSDL's shapes."""

    def __init__(self, store: Store, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials
        self.soap_faults: list[SoapFaultSpec] = []
        client = zeep.Client(str(WSDL_PATH))  # type: ignore[no-untyped-call]
        self._binding = client.wsdl.bindings[BINDING]
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "CreateAgreement": self._create_agreement,
            "GetAgreement": self._get_agreement,
            "GetSchedule": self._get_schedule,
            "GetTransactions": self._get_transactions,
            "RecordPayment": self._record_payment,
            "ReversePayment": self._reverse_payment,
            "RecordUnpaidCollection": self._record_unpaid_collection,
            "ChangePaymentDay": self._change_payment_day,
        }

    def _take_soap_fault(self, operation: str, after: bool) -> SoapFaultSpec | None:
        for spec in self.soap_faults:
            if spec.after_processing != after:
                continue
            if spec.operation is not None and spec.operation != operation:
                continue
            if spec.times is not None:
                spec.times -= 1
                if spec.times <= 0:
                    self.soap_faults.remove(spec)
            return spec
        return None

    @staticmethod
    def _raise_spec(spec: SoapFaultSpec) -> None:
        server = spec.server
        if server is None:
            server = spec.code in ("ServiceUnavailable", "InternalError")
        raise SoapFault(spec.code, spec.message, server=server)

    def _check_credentials(self, request: dict[str, Any]) -> None:
        given = request.get("Credentials") or {}
        if (
            given.get("UserName") != self.credentials.username
            or given.get("UserID") != self.credentials.user_id
            or given.get("Password") != self.credentials.password
        ):
            raise SoapFault("AuthenticationFailed", "The credentials were not accepted.")

    async def handle(self, request: web.Request) -> web.Response:
        if request.method == "GET":
            if "wsdl" in {k.lower() for k in request.query}:
                return _soap_response(WSDL_PATH.read_bytes())
            raise web.HTTPMethodNotAllowed("GET", ["POST"])
        raw = await request.read()
        try:
            envelope = etree.fromstring(raw, parser=_PARSER)
        except etree.XMLSyntaxError:
            return _soap_response(
                fault_envelope(SoapFault("DeserializationFailed", "The request is not XML.")), 400
            )
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        payload = None if body is None or len(body) == 0 else body[0]
        operation = "" if payload is None else etree.QName(payload).localname
        action = request.headers.get("SOAPAction", "").strip('"')
        if operation not in OPERATIONS or (action and not action.endswith(f"/{operation}")):
            return _soap_response(
                fault_envelope(
                    SoapFault("ActionNotSupported", "The operation or SOAPAction is not known.")
                ),
                500,
            )
        try:
            spec = self._take_soap_fault(operation, after=False)
            if spec is not None:
                self._raise_spec(spec)
            op = self._binding.get(operation)  # type: ignore[no-untyped-call]
            try:
                parsed = zeep.helpers.serialize_object(  # type: ignore[no-untyped-call]
                    op.input.deserialize(envelope), dict
                )
            except (zeep.exceptions.Error, ValueError, TypeError) as exc:
                raise SoapFault("ValidationFailed", "The request does not match the WSDL.") from exc
            if not isinstance(parsed, dict):
                raise SoapFault("ValidationFailed", "The request element is missing.")
            self._check_credentials(parsed)
            result = await self._handlers[operation](parsed)
            spec = self._take_soap_fault(operation, after=True)
            if spec is not None:
                self._raise_spec(spec)
        except SoapFault as fault:
            return _soap_response(fault_envelope(fault), 500)
        except WireError as exc:
            return _soap_response(fault_envelope(SoapFault("ValidationFailed", str(exc))), 500)
        message = op.output.serialize(**{f"{operation}Result": result})
        return _soap_response(
            etree.tostring(message.content, xml_declaration=True, encoding="utf-8")
        )

    async def _create_agreement(self, request: dict[str, Any]) -> dict[str, Any]:
        reference = str(_field(request, "ExternalReference"))
        customer = customer_from_wire(_field(request, "Customer"))
        terms = terms_from_wire(_field(request, "Loan"))
        if terms.advance_pence <= 0:
            raise SoapFault("ValidationFailed", "AdvanceAmount must be positive.")
        if not 1 <= terms.term_months <= 120:
            raise SoapFault("ValidationFailed", "TermMonths must be between 1 and 120.")
        booked = await self.store.book(
            reference, customer, terms, today=london_today(), now=now_utc()
        )
        return {"Created": booked.created, "Agreement": loan_to_wire(booked.loan)}

    async def _get_agreement(self, request: dict[str, Any]) -> dict[str, Any]:
        number = str(_field(request, "AgreementNumber"))
        loan = await self.store.loan(number)
        if loan is None:
            raise _not_found(number)
        return {"Agreement": loan_to_wire(loan)}

    async def _get_schedule(self, request: dict[str, Any]) -> dict[str, Any]:
        number = str(_field(request, "AgreementNumber"))
        schedule = await self.store.schedule(number)
        if schedule is None:
            raise _not_found(number)
        return {
            "AgreementNumber": number,
            "Instalments": {"Instalment": [instalment_to_wire(i) for i in schedule]},
        }

    async def _get_transactions(self, request: dict[str, Any]) -> dict[str, Any]:
        number = str(_field(request, "AgreementNumber"))
        transactions = await self.store.transactions(number)
        if transactions is None:
            raise _not_found(number)
        start, end = request.get("FromDate"), request.get("ToDate")
        chosen = [
            t
            for t in transactions
            if (start is None or t.transaction_date >= start)
            and (end is None or t.transaction_date <= end)
        ]
        return {
            "AgreementNumber": number,
            "Transactions": {"Transaction": [transaction_to_wire(t) for t in chosen]},
        }

    async def _record_payment(self, request: dict[str, Any]) -> dict[str, Any]:
        number = str(_field(request, "AgreementNumber"))
        amount = _amount(_field(request, "Amount"), "Amount")
        payment_date = _field(request, "PaymentDate")
        reference = str(_field(request, "PaymentReference"))
        if len(reference) > 64:
            raise SoapFault("ValidationFailed", "PaymentReference is longer than 64 characters.")
        paid = await self.store.pay(
            number,
            amount_pence=amount,
            reference=reference,
            payment_date=payment_date,
            today=london_today(),
            now=now_utc(),
        )
        return {
            "TransactionId": paid.transaction_id,
            "Duplicate": paid.duplicate,
            "Balance": decimal_from_pence(paid.balance_pence),
            "Status": AGREEMENT_STATUS_WIRE[paid.status],
        }

    async def _reverse_payment(self, request: dict[str, Any]) -> dict[str, Any]:
        number = str(_field(request, "AgreementNumber"))
        reference = str(_field(request, "PaymentReference"))
        _field(request, "ReasonCode")
        done = await self.store.reverse(
            number,
            reference=reference,
            reversal_date=_field(request, "ReversalDate"),
            today=london_today(),
            now=now_utc(),
        )
        return {
            "TransactionId": done.transaction_id,
            "Duplicate": done.duplicate,
            "Amount": decimal_from_pence(done.amount_pence),
            "Balance": decimal_from_pence(done.balance_pence),
            "ArrearsBalance": decimal_from_pence(done.arrears_pence),
            "Status": AGREEMENT_STATUS_WIRE[done.status],
        }

    async def _record_unpaid_collection(self, request: dict[str, Any]) -> dict[str, Any]:
        number = str(_field(request, "AgreementNumber"))
        reference = str(_field(request, "CollectionReference"))
        if len(reference) > 64:
            raise SoapFault("ValidationFailed", "CollectionReference is longer than 64 characters.")
        _field(request, "ReasonCode")
        done = await self.store.unpaid(
            number,
            instalment_number=int(_field(request, "InstalmentNumber")),
            amount_pence=_amount(_field(request, "Amount"), "Amount"),
            reference=reference,
            return_date=_field(request, "ReturnDate"),
            today=london_today(),
            now=now_utc(),
        )
        return {
            "TransactionId": done.transaction_id,
            "Duplicate": done.duplicate,
            "Balance": decimal_from_pence(done.balance_pence),
            "ArrearsBalance": decimal_from_pence(done.arrears_pence),
            "Status": AGREEMENT_STATUS_WIRE[done.status],
        }

    async def _change_payment_day(self, request: dict[str, Any]) -> dict[str, Any]:
        number = str(_field(request, "AgreementNumber"))
        schedule = await self.store.change_payment_day(
            number,
            payment_day=int(_field(request, "PaymentDay")),
            from_instalment=int(_field(request, "FromInstalment")),
            today=london_today(),
            now=now_utc(),
        )
        return {
            "AgreementNumber": number,
            "Instalments": {"Instalment": [instalment_to_wire(i) for i in schedule]},
        }


SIMULATOR = web.AppKey("anchor_simulator", AnchorSimulator)


async def _add_soap_fault(request: web.Request) -> web.Response:
    try:
        spec = msgspec.json.decode(await request.read(), type=SoapFaultSpec)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    request.app[SIMULATOR].soap_faults.append(spec)
    return web.json_response(msgspec.to_builtins(spec), status=201)


async def _clear_soap_faults(request: web.Request) -> web.Response:
    request.app[SIMULATOR].soap_faults.clear()
    return web.Response(status=204)


async def _agreements(request: web.Request) -> web.Response:
    reference = request.query.get("reference")
    if not reference:
        return web.json_response({"error": "reference is required"}, status=400)
    numbers = await request.app[SIMULATOR].store.numbers_for_reference(reference)
    return web.json_response({"reference": reference, "agreement_numbers": numbers})


def create_app(
    *,
    credentials: Credentials,
    loanbook_connection_string: str | None = None,
) -> web.Application:
    """The simulator as an aiohttp app; with a loan-book connection string it books there."""
    app = web.Application(client_max_size=1024 * 1024)
    sim = AnchorSimulator(MemoryStore(), credentials)
    app[SIMULATOR] = sim
    add_simulation_routes(app, Simulation(_MALFORMED))
    app.router.add_route("*", SERVICE_PATH, sim.handle)
    app.router.add_post(f"{ADMIN_PREFIX}/soap-faults", _add_soap_fault)
    app.router.add_delete(f"{ADMIN_PREFIX}/soap-faults", _clear_soap_faults)
    app.router.add_get(f"{ADMIN_PREFIX}/agreements", _agreements)

    if loanbook_connection_string is not None:

        async def loanbook(app: web.Application) -> AsyncIterator[None]:
            await ensure_loanbook(loanbook_connection_string)
            pool = await create_pool(
                LoanBookSettings(connection_string=loanbook_connection_string, max_pool_size=4)
            )
            app[SIMULATOR].store = LoanBookStore(pool)
            yield
            await close_pool(pool)

        app.cleanup_ctx.append(loanbook)
    return app


def _default_port() -> int:
    url = os.environ.get("FF_ANCHOR_LMS_BASE_URL")
    port = urlparse(url).port if url else None
    return port or DEFAULT_PORT


def main(argv: list[str] | None = None) -> None:
    from ff_shared.logging import configure_logging

    parser = argparse.ArgumentParser(description="Anchor LMS simulator (SOAP 1.1)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        default=_default_port(),
        help="default: the port of FF_ANCHOR_LMS_BASE_URL, else 8102",
    )
    parser.add_argument(
        "--loanbook",
        default=os.environ.get("FF_LOANBOOK_CONNECTION_STRING"),
        help="ODBC connection string of the loan book to book agreements in "
        "(default: FF_LOANBOOK_CONNECTION_STRING; --memory to keep them in memory)",
    )
    parser.add_argument("--memory", action="store_true", help="keep agreements in memory")
    args = parser.parse_args(argv)
    if os.environ.get("FF_ENVIRONMENT") == "production":
        raise SystemExit("the Anchor LMS simulator does not run in production")
    configure_logging(
        level=os.environ.get("FF_LOG_LEVEL", "info"),
        json=os.environ.get("FF_LOG_JSON", "true").lower() == "true",
    )
    # The credentials it accepts are the platform's own (the secret comes from the
    # environment, never from the command line, where process lists would show it).
    defaults = AnchorLmsSettings()
    credentials = Credentials(
        username=os.environ.get("FF_ANCHOR_LMS_USERNAME", defaults.username),
        user_id=os.environ.get("FF_ANCHOR_LMS_USER_ID", defaults.user_id),
        password=os.environ.get("FF_ANCHOR_LMS_PASSWORD", defaults.password),
    )
    app = create_app(
        credentials=credentials,
        loanbook_connection_string=None if args.memory else args.loanbook,
    )
    serve(app, host=args.host, port=args.port, name="anchor-lms simulator")


if __name__ == "__main__":
    main()
