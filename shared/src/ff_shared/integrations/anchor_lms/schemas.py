"""The WSDL's types <-> the platform's: one module, used by the client and the simulator.

On the wire money is ``xs:decimal`` pounds, statuses are Anchor's PascalCase words and
datetimes carry an offset; in the platform money is integer pence and statuses are enums.
A reply that does not convert raises :class:`WireError`, which the client reports as a
malformed response.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from ff_shared.domain.loans import (
    BadAmount,
    CustomerDetails,
    Instalment,
    InstalmentStatus,
    Loan,
    LoanStatus,
    LoanTerms,
    LoanTransaction,
    TransactionType,
    decimal_from_pence,
    pence_from_decimal,
    rate_bps_from_percent,
)

NAMESPACE = "urn:anchor.co.uk/2017/05/AnchorCollections"

AGREEMENT_STATUS = {
    "Live": LoanStatus.LIVE,
    "Arrears": LoanStatus.ARREARS,
    "Settled": LoanStatus.SETTLED,
}
AGREEMENT_STATUS_WIRE = {v: k for k, v in AGREEMENT_STATUS.items()}
INSTALMENT_STATUS = {
    "Due": InstalmentStatus.DUE,
    "PartPaid": InstalmentStatus.PART_PAID,
    "Paid": InstalmentStatus.PAID,
    "Overdue": InstalmentStatus.OVERDUE,
}
INSTALMENT_STATUS_WIRE = {v: k for k, v in INSTALMENT_STATUS.items()}


class WireError(ValueError):
    """A value from the LMS that does not mean what the WSDL says it should."""


class CreatedAgreement(msgspec.Struct, frozen=True, kw_only=True):
    """CreateAgreement's answer: ``created`` is False when the application already had one."""

    created: bool
    loan: Loan


class PaymentReceipt(msgspec.Struct, frozen=True, kw_only=True):
    agreement_number: str
    transaction_id: int
    duplicate: bool
    """True when the LMS had already recorded a payment under this reference."""
    balance_pence: int
    status: LoanStatus


class LedgerAdjustment(msgspec.Struct, frozen=True, kw_only=True):
    """ReversePayment's or RecordUnpaidCollection's answer."""

    agreement_number: str
    transaction_id: int
    duplicate: bool
    """True when the LMS had already made this adjustment under the reference."""
    amount_pence: int | None
    """The amount reversed (null for a returned collection, which moves no balance)."""
    balance_pence: int
    arrears_pence: int
    status: LoanStatus


def _req(data: Mapping[str, Any], key: str) -> Any:
    value = data.get(key)
    if value is None:
        raise WireError(f"{key} is missing")
    return value


def _pence(data: Mapping[str, Any], key: str) -> int:
    value = _req(data, key)
    if not isinstance(value, Decimal | int | str):
        raise WireError(f"{key} is not a decimal")
    try:
        return pence_from_decimal(value)
    except (BadAmount, ArithmeticError) as exc:
        raise WireError(f"{key} is not an amount in pence") from exc


def _date(data: Mapping[str, Any], key: str) -> date:
    value = _req(data, key)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise WireError(f"{key} is not a date")
    return value


def _opt_date(data: Mapping[str, Any], key: str) -> date | None:
    return None if data.get(key) is None else _date(data, key)


def _datetime(data: Mapping[str, Any], key: str) -> datetime:
    value = _req(data, key)
    if not isinstance(value, datetime):
        raise WireError(f"{key} is not a datetime")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = _req(data, key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise WireError(f"{key} is not an integer")
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = _req(data, key)
    if not isinstance(value, str) or not value:
        raise WireError(f"{key} is not a string")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _map(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise WireError(f"{what} is missing")
    return data


def loan_from_wire(data: Any) -> Loan:
    d = _map(data, "Agreement")
    status = AGREEMENT_STATUS.get(_str(d, "Status"))
    if status is None:
        raise WireError("Status is not an agreement status")
    next_amount = d.get("NextPaymentAmount")
    return Loan(
        agreement_number=_str(d, "AgreementNumber"),
        customer_id=_opt_str(d, "PlatformCustomerId"),
        application_id=_opt_str(d, "ExternalReference"),
        product_code=_str(d, "ProductCode"),
        status=status,
        advance_pence=_pence(d, "AdvanceAmount"),
        term_months=_int(d, "TermMonths"),
        annual_rate_bps=rate_bps_from_percent(_req(d, "InterestRate")),
        apr_percent=float(_req(d, "Apr")),
        instalment_pence=_pence(d, "InstalmentAmount"),
        total_repayable_pence=_pence(d, "TotalRepayable"),
        balance_pence=_pence(d, "Balance"),
        arrears_pence=_pence(d, "ArrearsBalance"),
        start_date=_date(d, "StartDate"),
        first_payment_date=_date(d, "FirstPaymentDate"),
        final_payment_date=_date(d, "FinalPaymentDate"),
        next_payment_date=_opt_date(d, "NextPaymentDate"),
        next_payment_pence=None if next_amount is None else _pence(d, "NextPaymentAmount"),
        created_at=_datetime(d, "CreatedAt"),
        updated_at=_datetime(d, "UpdatedAt"),
    )


def loan_to_wire(loan: Loan) -> dict[str, Any]:
    return {
        "AgreementNumber": loan.agreement_number,
        "ExternalReference": loan.application_id,
        "PlatformCustomerId": loan.customer_id,
        "ProductCode": loan.product_code,
        "Status": AGREEMENT_STATUS_WIRE[loan.status],
        "AdvanceAmount": decimal_from_pence(loan.advance_pence),
        "TermMonths": loan.term_months,
        "InterestRate": Decimal(loan.annual_rate_bps) / 100,
        "Apr": Decimal(str(round(loan.apr_percent, 4))),
        "InstalmentAmount": decimal_from_pence(loan.instalment_pence),
        "TotalRepayable": decimal_from_pence(loan.total_repayable_pence),
        "Balance": decimal_from_pence(loan.balance_pence),
        "ArrearsBalance": decimal_from_pence(loan.arrears_pence),
        "StartDate": loan.start_date,
        "FirstPaymentDate": loan.first_payment_date,
        "FinalPaymentDate": loan.final_payment_date,
        "NextPaymentDate": loan.next_payment_date,
        "NextPaymentAmount": None
        if loan.next_payment_pence is None
        else decimal_from_pence(loan.next_payment_pence),
        "CreatedAt": loan.created_at,
        "UpdatedAt": loan.updated_at,
    }


def instalment_from_wire(data: Any) -> Instalment:
    d = _map(data, "Instalment")
    status = INSTALMENT_STATUS.get(_str(d, "Status"))
    if status is None:
        raise WireError("Status is not an instalment status")
    return Instalment(
        number=_int(d, "InstalmentNumber"),
        due_date=_date(d, "DueDate"),
        amount_pence=_pence(d, "Amount"),
        principal_pence=_pence(d, "Principal"),
        interest_pence=_pence(d, "Interest"),
        paid_pence=_pence(d, "PaidAmount"),
        status=status,
    )


def instalment_to_wire(instalment: Instalment) -> dict[str, Any]:
    return {
        "InstalmentNumber": instalment.number,
        "DueDate": instalment.due_date,
        "Amount": decimal_from_pence(instalment.amount_pence),
        "Principal": decimal_from_pence(instalment.principal_pence),
        "Interest": decimal_from_pence(instalment.interest_pence),
        "PaidAmount": decimal_from_pence(instalment.paid_pence),
        "Status": INSTALMENT_STATUS_WIRE[instalment.status],
    }


def transaction_from_wire(data: Any) -> LoanTransaction:
    d = _map(data, "Transaction")
    type_id = _int(d, "TypeId")
    try:
        kind = TransactionType(type_id)
    except ValueError as exc:
        raise WireError(f"TypeId {type_id} is not a known transaction type") from exc
    return LoanTransaction(
        id=_int(d, "TransactionId"),
        type_id=type_id,
        type=kind.label,
        amount_pence=_pence(d, "Amount"),
        direction=kind.direction,
        transaction_date=_date(d, "TransactionDate"),
        reference=_opt_str(d, "Reference"),
        created_at=_datetime(d, "CreatedAt"),
    )


def transaction_to_wire(transaction: LoanTransaction) -> dict[str, Any]:
    return {
        "TransactionId": transaction.id,
        "TypeId": transaction.type_id,
        "Amount": decimal_from_pence(transaction.amount_pence),
        "TransactionDate": transaction.transaction_date,
        "Reference": transaction.reference,
        "CreatedAt": transaction.created_at,
    }


def customer_to_wire(customer: CustomerDetails) -> dict[str, Any]:
    return {
        "PlatformCustomerId": customer.platform_customer_id,
        "Title": customer.title,
        "FirstName": customer.first_name,
        "LastName": customer.last_name,
        "DateOfBirth": customer.date_of_birth,
        "Email": customer.email,
        "MobilePhone": customer.mobile_phone,
        "AddressLine1": customer.address_line1,
        "AddressLine2": customer.address_line2,
        "Town": customer.town,
        "Postcode": customer.postcode,
    }


def customer_from_wire(data: Any) -> CustomerDetails:
    d = _map(data, "Customer")
    return CustomerDetails(
        platform_customer_id=_str(d, "PlatformCustomerId"),
        title=_opt_str(d, "Title"),
        first_name=_str(d, "FirstName"),
        last_name=_str(d, "LastName"),
        date_of_birth=_opt_date(d, "DateOfBirth"),
        email=_opt_str(d, "Email"),
        mobile_phone=_opt_str(d, "MobilePhone"),
        address_line1=_opt_str(d, "AddressLine1"),
        address_line2=_opt_str(d, "AddressLine2"),
        town=_opt_str(d, "Town"),
        postcode=_opt_str(d, "Postcode"),
    )


def terms_to_wire(terms: LoanTerms) -> dict[str, Any]:
    return {
        "ProductCode": terms.product_code,
        "AdvanceAmount": decimal_from_pence(terms.advance_pence),
        "TermMonths": terms.term_months,
        "InterestRate": Decimal(terms.annual_rate_bps) / 100,
        "Apr": Decimal(str(round(terms.apr_percent, 4))),
        "StartDate": terms.start_date,
    }


def terms_from_wire(data: Any) -> LoanTerms:
    d = _map(data, "Loan")
    return LoanTerms(
        advance_pence=_pence(d, "AdvanceAmount"),
        term_months=_int(d, "TermMonths"),
        annual_rate_bps=rate_bps_from_percent(_req(d, "InterestRate")),
        apr_percent=float(_req(d, "Apr")),
        start_date=_date(d, "StartDate"),
        product_code=_str(d, "ProductCode"),
    )


def receipt_from_wire(agreement_number: str, data: Any) -> PaymentReceipt:
    d = _map(data, "RecordPaymentResult")
    status = AGREEMENT_STATUS.get(_str(d, "Status"))
    duplicate = d.get("Duplicate")
    if status is None or not isinstance(duplicate, bool):
        raise WireError("RecordPaymentResult is incomplete")
    return PaymentReceipt(
        agreement_number=agreement_number,
        transaction_id=_int(d, "TransactionId"),
        duplicate=duplicate,
        balance_pence=_pence(d, "Balance"),
        status=status,
    )


def adjustment_from_wire(agreement_number: str, data: Any, what: str) -> LedgerAdjustment:
    d = _map(data, what)
    status = AGREEMENT_STATUS.get(_str(d, "Status"))
    duplicate = d.get("Duplicate")
    if status is None or not isinstance(duplicate, bool):
        raise WireError(f"{what} is incomplete")
    return LedgerAdjustment(
        agreement_number=agreement_number,
        transaction_id=_int(d, "TransactionId"),
        duplicate=duplicate,
        amount_pence=None if d.get("Amount") is None else _pence(d, "Amount"),
        balance_pence=_pence(d, "Balance"),
        arrears_pence=_pence(d, "ArrearsBalance"),
        status=status,
    )
