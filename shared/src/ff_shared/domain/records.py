"""Records the platform keeps about customers and their applications, as the domain sees them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import msgspec

from ff_shared.domain.crm import CrmSync
from ff_shared.domain.loans import LmsSync
from ff_shared.domain.open_banking import DecisionVersion, OpenBankingConsent
from ff_shared.domain.review import (
    Assignment,
    DeclineRecord,
    InformationRequest,
    OfferMade,
    Proposal,
)


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    INFORMATION_REQUESTED = "information_requested"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    OFFER_DECLINED = "offer_declined"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


StepStatus = Literal["not_started", "complete"]


class ApplicationRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    reference: str
    customer_id: str
    status: ApplicationStatus
    version: int
    steps: dict[str, dict[str, Any]]
    """Each saved step's validated data, as JSON-ready builtins."""
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    decision: dict[str, Any] | None = None
    """The decision engine's output as stored (builtins), with its trace."""
    submit_idempotency_key: str | None = None
    assigned_to: Assignment | None = None
    proposal: Proposal | None = None
    """An approval waiting for a second senior underwriter."""
    offer: OfferMade | None = None
    decline: DeclineRecord | None = None
    """A staff decline (an engine decline is in ``decision``)."""
    information_request: InformationRequest | None = None
    erased_at: datetime | None = None
    """When the customer's personal data was erased from this application."""
    lms: LmsSync | None = None
    """The accepted loan in Anchor LMS: agreement number and the booking job's state."""
    crm: CrmSync | None = None
    """The customer and the application in Dynamics 365: CRM ids and the sync job's state."""
    open_banking: OpenBankingConsent | None = None
    """The open-banking consent and, once its report is in, the provider's summary."""
    decision_version: int = 1
    """The version of ``decision``: each re-run on new evidence adds one."""
    decided_at: datetime | None = None
    """When ``decision`` was made (None: at submission)."""
    earlier_decisions: tuple[DecisionVersion, ...] = ()
    """Superseded decisions, oldest first, each with its trace."""


ContactChannel = Literal["email", "sms", "post"]


class CustomerSettings(msgspec.Struct, frozen=True, kw_only=True):
    marketing_opt_in: bool = False
    contact_channel: ContactChannel = "email"
    paperless: bool = True


class CustomerProfile(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    """The customer's identity-provider subject."""
    email: str | None = None
    preferred_name: str | None = None
    mobile: str | None = None
    settings: CustomerSettings = CustomerSettings()
    version: int = 1
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = None
    """When the customer's personal data was erased (the record stays, anonymised)."""
