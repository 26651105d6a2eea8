"""What a payment's bad news does to the loan book, and what the customer is told.

* A payment the loan book recorded and the bank then took back (a charge-back after
  ``paid_out``, or a failure reported after ``confirmed``) is reversed in Anchor LMS once: the
  LMS reverses a payment reference once, and ``reversed_at`` is set under the payment's row lock.
* A Direct Debit collection that failed is noted in Anchor LMS as returned unpaid, against its
  instalment, which is in arrears from then on (reference ``FFRTN-<provider id>-<attempt>``:
  each presentation's failure is noted once).
* The e-mail about a failed collection follows forbearance: none while a breathing space runs
  (checked again when it is sent), and under a payment plan it speaks of the plan's instalment.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog

from ff_shared.clock import london_today, now_utc
from ff_shared.domain import payments as rules
from ff_shared.domain.payments import Arrangement, ArrangementKind, PaymentKind, PaymentRecord
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.payments.provider import ProviderPayment
from ff_shared.stores.postgres import payments as store

log = structlog.get_logger()


def unpaid_reference(provider_payment_id: str, attempt: int) -> str:
    """The loan-book reference of one presentation's failure."""
    return f"FFRTN-{provider_payment_id}-{attempt}"


async def reverse_if_booked(
    ctx: dict[str, Any],
    conn: asyncpg.Connection,
    record: PaymentRecord,
    current: ProviderPayment,
    cause: str | None,
) -> bool:
    """Reverse ``record`` in the loan book if the provider says its money went back; True if
    it is reversed now (or was by a run that crashed before our commit)."""
    if not rules.reverses_payment(
        current.status,
        booked=record.booked_at is not None,
        reversed_=record.reversed_at is not None,
    ):
        return False
    lms: AnchorLmsClient = ctx["anchor_lms"]
    adjustment = await lms.reverse_payment(
        record.loan_id,
        reference=rules.lms_reference(current.id),
        reversal_date=london_today(),
        reason=cause or current.status.value,
    )
    await store.mark_reversed(
        conn, record.id, lms_transaction_id=adjustment.transaction_id, now=now_utc()
    )
    log.warning(
        "payment_reversed",
        payment_id=record.id,
        loan_id=record.loan_id,
        status=current.status.value,
        transaction_id=adjustment.transaction_id,
        duplicate=adjustment.duplicate,
    )
    return True


async def note_unpaid_collection(
    ctx: dict[str, Any], record: PaymentRecord, cause: str | None
) -> None:
    """Note a failed collection against its instalment in the loan book (arrears from now)."""
    if (
        record.kind is not PaymentKind.COLLECTION
        or record.instalment_number is None
        or record.provider_payment_id is None
    ):
        return
    lms: AnchorLmsClient = ctx["anchor_lms"]
    adjustment = await lms.record_unpaid_collection(
        record.loan_id,
        instalment_number=record.instalment_number,
        amount_pence=record.amount_pence,
        return_date=london_today(),
        reference=unpaid_reference(record.provider_payment_id, record.retries),
        reason=cause or "failed",
    )
    log.info(
        "collection_recorded_unpaid",
        payment_id=record.id,
        loan_id=record.loan_id,
        arrears_pence=adjustment.arrears_pence,
        duplicate=adjustment.duplicate,
    )


def _pounds(pence: int) -> str:
    return f"£{pence / 100:,.2f}"


def failed_collection_email(
    *, amount_pence: int, loan_id: str, arrangement: Arrangement | None
) -> tuple[str, str] | None:
    """The subject and text about a failed collection, or None when no arrears contact is
    allowed (a breathing space)."""
    if not rules.arrears_contact_allowed(arrangement):
        return None
    amount = _pounds(amount_pence)
    if arrangement is not None and arrangement.kind is ArrangementKind.PAYMENT_PLAN:
        plan = _pounds(arrangement.instalment_pence or 0)
        return (
            "We could not collect your payment plan instalment",
            f"We could not collect your payment plan instalment of {amount} for loan "
            f"{loan_id} by Direct Debit.\n\nYour plan of {plan} a month runs until "
            f"{arrangement.ends_on:%-d %B %Y}. You can pay this instalment from your account "
            "page. If the plan no longer works for you, tell us and we will look at it again "
            "with you.\n\nFair Finance",
        )
    return (
        "We could not collect your loan payment",
        f"We could not collect your payment of {amount} for loan {loan_id} by Direct "
        "Debit.\n\nYou can pay now from your account page, or tell us if you are finding it "
        "hard to pay: we will work out a plan with you.\n\nFair Finance",
    )
