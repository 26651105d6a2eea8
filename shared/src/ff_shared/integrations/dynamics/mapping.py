"""The platform's application and customer as Dynamics rows: the one place that decides it.

A contact carries the personal details from the application's form, except that the profile's
e-mail and mobile, where set, win: the profile is where the customer and staff correct contact
details. An erased customer's contact is written with every personal column empty, so erasure
reaches the CRM too; an erased application that was not a loan no longer names its open-banking
report (its archive was deleted, and must not be fetched again). The loan application carries
the status, the latest decision and its version, the amounts, and the OBV reference that
obv-archiver looks for.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.integrations.dynamics.schemas import (
    ApplicationStatusChoice,
    ContactWrite,
    DecisionOutcomeChoice,
    LoanApplicationWrite,
    contact_bind,
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def contact_for(
    application: ApplicationRecord,
    *,
    profile_email: str | None,
    erased: bool,
    profile_mobile: str | None = None,
) -> ContactWrite:
    if erased:
        return ContactWrite(ff_platformid=application.customer_id)
    personal = application.steps.get("personal") or {}
    address = application.steps.get("address") or {}
    born = personal.get("date_of_birth")
    return ContactWrite(
        ff_platformid=application.customer_id,
        firstname=_text(personal.get("first_name")),
        lastname=_text(personal.get("last_name")),
        emailaddress1=_text(profile_email) or _text(personal.get("email")),
        mobilephone=_text(profile_mobile) or _text(personal.get("mobile")),
        birthdate=date.fromisoformat(born) if isinstance(born, str) else None,
        address1_line1=_text(address.get("line1")),
        address1_line2=_text(address.get("line2")),
        address1_city=_text(address.get("town")),
        address1_postalcode=_text(address.get("postcode")),
        address1_country=_text(address.get("country")),
    )


def loan_application_for(application: ApplicationRecord, contact_id: str) -> LoanApplicationWrite:
    loan = application.steps.get("loan") or {}
    decision = application.decision or {}
    outcome = decision.get("outcome")
    offered = application.offer.offer if application.offer is not None else None
    return LoanApplicationWrite(
        ff_platformid=application.id,
        ff_name=application.reference,
        contact_bind=contact_bind(contact_id),
        ff_obvreference=(
            application.open_banking.reference
            if application.open_banking is not None
            and (application.erased_at is None or application.status is ApplicationStatus.ACCEPTED)
            else None
        ),
        ff_applicationstatus=ApplicationStatusChoice.of(application.status),
        ff_decisionoutcome=(
            DecisionOutcomeChoice.of(outcome) if isinstance(outcome, str) else None
        ),
        ff_decisionreasons=",".join(decision.get("reasons") or ()) or None,
        ff_decisionversion=application.decision_version if decision else None,
        ff_requestedamountpence=_int(loan.get("amount_pence")),
        ff_requestedtermmonths=_int(loan.get("term_months")),
        ff_offeredamountpence=offered.amount_pence if offered is not None else None,
        ff_offeredtermmonths=offered.term_months if offered is not None else None,
        ff_submittedon=application.submitted_at,
        ff_decidedon=application.decided_at or application.submitted_at,
    )
