"""The e-mails a customer gets about their application, composed from what they told us.

Each message names the customer by the first name they gave and the application by its
reference; it never repeats anything else they gave (address, date of birth, income, bank) nor
anything staff wrote for the file. The portal has the detail behind a login.
"""

from __future__ import annotations

import enum

import msgspec

from ff_shared.domain.decision import Offer
from ff_shared.domain.money import format_pence
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus


class EmailKind(enum.StrEnum):
    OFFER_MADE = "offer_made"
    DECLINED = "declined"
    INFORMATION_REQUESTED = "information_requested"


class EmailMessage(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    text: str


SIGN_OFF = "\n\nFair Finance\nThis mailbox is not monitored: reply through your account."


def _greeting(first_name: str | None) -> str:
    return f"Dear {first_name}," if first_name else "Hello,"


def offer_made(first_name: str | None, reference: str, offer: Offer) -> EmailMessage:
    text = (
        f"{_greeting(first_name)}\n\n"
        f"Good news: we can offer you a loan for application {reference}.\n\n"
        f"Amount: {format_pence(offer.amount_pence)}\n"
        f"Term: {offer.term_months} months\n"
        f"Monthly repayment: {format_pence(offer.monthly_instalment_pence)}\n"
        f"Representative APR: {offer.apr_percent:.1f}%\n"
        f"Total amount repayable: {format_pence(offer.total_repayable_pence)}\n\n"
        "Log in to your account to read the agreement and accept or decline the offer."
    )
    return EmailMessage(subject=f"Your loan offer ({reference})", text=text + SIGN_OFF)


def declined(first_name: str | None, reference: str) -> EmailMessage:
    text = (
        f"{_greeting(first_name)}\n\n"
        f"We're sorry: we can't offer you a loan for application {reference}.\n\n"
        "You can ask us for the main reasons, and for a person to look at the decision again, "
        "by replying through your account. Free, independent help with money and debt is "
        "available from MoneyHelper (moneyhelper.org.uk)."
    )
    return EmailMessage(subject=f"About your loan application ({reference})", text=text + SIGN_OFF)


def information_requested(first_name: str | None, reference: str, needed: str) -> EmailMessage:
    text = (
        f"{_greeting(first_name)}\n\n"
        f"To finish reviewing application {reference} we need a little more from you:\n\n"
        f"{needed}\n\n"
        "Log in to your account to upload it. We'll carry on as soon as it arrives."
    )
    return EmailMessage(subject=f"We need more information ({reference})", text=text + SIGN_OFF)


def recorded(kind: EmailKind, record: ApplicationRecord, version: int) -> bool:
    """Whether the write that produced ``version`` is the event this e-mail is about.

    The API enqueues the e-mail just before it writes; if that write lost a race, the event is
    not on the record and no e-mail goes out.
    """
    if kind is EmailKind.OFFER_MADE:
        return record.offer is not None and record.offer.at_version == version
    if kind is EmailKind.INFORMATION_REQUESTED:
        return (
            record.information_request is not None
            and record.information_request.at_version == version
        )
    if record.decline is not None:
        return record.decline.at_version == version
    # The engine's decline, written by the submission itself.
    return (
        record.status is ApplicationStatus.DECLINED
        and record.decision is not None
        and record.decision.get("outcome") == "decline"
    )


def compose(kind: EmailKind, record: ApplicationRecord) -> EmailMessage:
    first_name = record.steps.get("personal", {}).get("first_name")
    if kind is EmailKind.OFFER_MADE:
        if record.offer is None:
            raise ValueError("no offer on the application")
        return offer_made(first_name, record.reference, record.offer.offer)
    if kind is EmailKind.INFORMATION_REQUESTED:
        if record.information_request is None:
            raise ValueError("no information request on the application")
        return information_requested(
            first_name, record.reference, record.information_request.needed
        )
    return declined(first_name, record.reference)


def recipient(record: ApplicationRecord, profile_email: str | None) -> str | None:
    """The address the customer gave on the application, else the one they sign in with."""
    given = record.steps.get("personal", {}).get("email")
    return given if isinstance(given, str) and given else profile_email
