"""Data-protection rules: what erasing a customer removes, and what a loan record keeps.

Erasure (UK GDPR Art 17) anonymises everything that identifies the customer. Where a loan was
taken (an accepted offer), the lender must keep the regulated record of it: the agreement's
terms and the creditworthiness assessment behind it (FCA CONC 5.2A; kept for the life of the
agreement and six years after), and the documents that evidenced it (Money Laundering
Regulations 2017, reg. 40: five years after the relationship ends). Art 17(3)(b) allows that;
the response to an erasure lists each retained item with its reason.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import msgspec

from ff_shared.domain import lifecycle
from ff_shared.domain.lifecycle import Action
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus

ERASED = "[erased]"

IDENTIFYING_STEP_FIELDS: Mapping[str, tuple[str, ...]] = {
    "personal": ("title", "first_name", "last_name", "date_of_birth", "email", "mobile"),
    "address": ("postcode", "line1", "line2", "town", "previous_addresses"),
    "bank": ("sort_code", "account_number"),
    "employment": ("employer_name",),
}
"""Step fields that identify or locate the customer: removed from every application."""

LOAN_EVIDENCE_STEPS = ("loan", "personal", "address", "employment", "expenditure", "declarations")
"""What is left of these steps (household size, time at address, income, outgoings, consents)
is the evidence of the creditworthiness assessment of a loan that was taken."""

FREE_TEXT: Mapping[str, tuple[str, ...]] = {
    "decline": ("note",),
    "information_request": ("needed", "response"),
}
"""Free text staff or the customer wrote on the application, which may name anything."""

PROFILE_FIELDS = ("email", "preferred_name", "mobile")

LOAN_RECORD_REASON = (
    "regulated credit agreement: its terms and the creditworthiness assessment behind it are "
    "kept for the life of the agreement and six years after (FCA CONC 5.2A, limitation period)"
)
DOCUMENT_REASON = (
    "evidence checked for the loan: kept five years after the relationship ends "
    "(Money Laundering Regulations 2017, reg. 40)"
)
AUDIT_REASON = (
    "the audit trail is append-only: its entries stay, but the values they held about the "
    "customer were sealed with the customer's key, which is now destroyed"
)


class Retained(msgspec.Struct, frozen=True, kw_only=True):
    """One thing erasure kept, where it is, why the law requires it, and when it goes."""

    what: str
    where: str
    fields: tuple[str, ...]
    reason: str
    until: date | None = None
    """The day the retention job deletes it; None for audit entries, whose values about the
    person are already unreadable (their key is destroyed) and which stay as the log's record."""


def is_loan(document: Mapping[str, Any]) -> bool:
    return document.get("status") == ApplicationStatus.ACCEPTED.value


def erase_application(
    document: Mapping[str, Any], *, now: datetime
) -> tuple[dict[str, Any], list[Retained]]:
    """The application with the customer's identifying data removed, and what was kept.

    A loan keeps its terms, its decision (with the trace and affordability) and the
    non-identifying answers the assessment used; any other application keeps only the
    decision's outcome, reasons and rule-set version, which identify nobody.
    """
    erased = copy.deepcopy(dict(document))
    loan = is_loan(erased)
    steps: dict[str, Any] = erased.get("steps") or {}
    if loan:
        kept_steps: dict[str, Any] = {}
        for name in LOAN_EVIDENCE_STEPS:
            if name not in steps:
                continue
            data = dict(steps[name])
            for field in IDENTIFYING_STEP_FIELDS.get(name, ()):
                data.pop(field, None)
            kept_steps[name] = data
        erased["steps"] = kept_steps
    else:
        erased["steps"] = {}
        decision = erased.get("decision")
        if isinstance(decision, dict):
            erased["decision"] = {
                k: decision[k]
                for k in ("outcome", "reasons", "rule_set_version", "risk_flags")
                if k in decision
            }
    for record, fields in FREE_TEXT.items():
        value = erased.get(record)
        if isinstance(value, dict):
            for field in fields:
                if value.get(field) is not None:
                    value[field] = ERASED
    erased["erased_at"] = now
    erased["updated_at"] = now
    retained: list[Retained] = []
    if loan:
        retained.append(
            Retained(
                what=f"loan application {erased.get('reference')}",
                where=f"applications/{erased.get('_id')}",
                fields=(
                    "reference",
                    "status",
                    "offer",
                    "decision (trace and affordability)",
                    *(f"steps.{name}" for name in sorted(kept_steps)),
                    "submitted_at",
                ),
                reason=LOAN_RECORD_REASON,
            )
        )
    return erased, retained


class ErasedApplication(msgspec.Struct, frozen=True, kw_only=True):
    application: ApplicationRecord
    withdrawn: bool
    """It was still open, so erasure withdrew it first."""
    retained: list[Retained]


def erase_record(record: ApplicationRecord, *, now: datetime) -> ErasedApplication:
    """Withdraw the application if it is still open, then anonymise it (as
    :func:`erase_application` does its stored form)."""
    withdrawn = Action.WITHDRAW in lifecycle.TRANSITIONS[record.status]
    if withdrawn:
        record = msgspec.structs.replace(
            record, status=lifecycle.next_status(record.status, Action.WITHDRAW)
        )
    stored: dict[str, Any] = msgspec.to_builtins(record, builtin_types=(datetime,))
    stored["_id"] = stored.pop("id")
    erased, retained = erase_application(stored, now=now)
    erased["id"] = erased.pop("_id")
    return ErasedApplication(
        application=msgspec.convert(erased, ApplicationRecord),
        withdrawn=withdrawn,
        retained=retained,
    )


def profile_erasure(*, now: datetime) -> dict[str, Any]:
    """The changes that anonymise a customer profile (the record stays, marked erased)."""
    return {**dict.fromkeys(PROFILE_FIELDS), "settings": {}, "erased_at": now}


def erase_note(document: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    return {**document, "text": ERASED, "erased_at": now}
