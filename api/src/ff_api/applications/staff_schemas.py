"""Staff-portal bodies for applications: the review queue, the review actions and the detail.

Staff see what customers never do: the decision trace, affordability, risk flags, notes and the
audit trail. ``StaffApplicationDetail`` is the one application detail Struct; integrations add
their own optional fields to it here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from ff_api.audit.schemas import AuditEntryView, audit_view
from ff_api.documents.schemas import DocumentView, document_view
from ff_api.loans.schemas import LmsSyncView
from ff_api.open_banking.schemas import StaffOpenBankingView, staff_open_banking_view
from ff_api.schemas import NoteView, StaffRefView, Text, Version, note_view
from ff_shared.domain.audit import AuditEvent
from ff_shared.domain.crm import CrmSync
from ff_shared.domain.documents import DocumentRecord
from ff_shared.domain.funnel import DuplicateCluster
from ff_shared.domain.open_banking import DecisionVersion
from ff_shared.domain.records import ApplicationRecord
from ff_shared.domain.review import DeclineReason
from ff_shared.stores.mongo.notes import Note

T = TypeVar("T")


class AssignBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    staff_id: str | None = None
    """Whom to assign (a staff member's id); yourself when omitted. Assigning someone else
    needs the senior_underwriter or admin role."""


class ApproveBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    amount_pence: Annotated[int, msgspec.Meta(ge=1, description="Loan amount offered")]
    term_months: Annotated[int, msgspec.Meta(ge=1, description="Term offered")]


class DeclineBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    reason_code: DeclineReason
    note: Text


class RequestInformationBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    needed: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")]
    """What the customer must provide, in words they will read (it is e-mailed to them)."""


class NoteBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    text: Text


class AssignmentView(msgspec.Struct, kw_only=True):
    staff: StaffRefView
    assigned_by: StaffRefView
    assigned_at: datetime


class OfferTermsView(msgspec.Struct, kw_only=True):
    amount_pence: int
    term_months: int
    monthly_instalment_pence: int
    apr_percent: float
    total_repayable_pence: int
    annual_rate_bps: int


class ProposalView(msgspec.Struct, kw_only=True):
    offer: OfferTermsView
    proposed_by: StaffRefView
    proposed_at: datetime
    affordable: bool | None
    overrides_decline: bool


class OfferMadeView(msgspec.Struct, kw_only=True):
    offer: OfferTermsView
    proposed_by: StaffRefView
    confirmed_by: StaffRefView | None
    made_at: datetime
    affordable: bool | None
    overrides_decline: bool
    response: Literal["accepted", "declined"] | None
    responded_at: datetime | None


class DeclineView(msgspec.Struct, kw_only=True):
    reason_code: DeclineReason
    note: str
    declined_by: StaffRefView
    declined_at: datetime


class InformationRequestView(msgspec.Struct, kw_only=True):
    needed: str
    requested_by: StaffRefView
    requested_at: datetime
    response: str | None
    responded_at: datetime | None


class RuleResultView(msgspec.Struct, kw_only=True):
    rule: str
    passed: bool
    inputs: dict[str, Any]
    detail: str


class StaffDecisionView(msgspec.Struct, kw_only=True):
    """The engine's decision in full: every rule with its inputs and result."""

    outcome: Literal["approve", "refer", "decline"]
    reasons: list[str]
    rule_set_version: str
    offer: OfferTermsView | None
    affordability: dict[str, Any] | None
    """The affordability check with every figure it used. Its ``monthly_instalment_pence`` is
    the largest instalment of the schedule (the last one, which carries the rounding, can be a
    few pence above the others): the check holds for the dearest month. ``regular_instalment_pence``
    is what every other month pays, the offer's ``monthly_instalment_pence`` (null without an
    offer for the same loan)."""
    risk_flags: list[str]
    trace: list[RuleResultView]


class QueueItem(msgspec.Struct, kw_only=True):
    id: str
    reference: str
    status: str
    version: int
    customer_id: str
    applicant_name: str | None
    email: str | None
    amount_pence: int | None
    term_months: int | None
    outcome: str | None
    risk_flags: list[str]
    assigned_to: StaffRefView | None
    submitted_at: datetime | None
    updated_at: datetime


class QueuePage(msgspec.Struct, kw_only=True):
    items: list[QueueItem]
    next_cursor: str | None


class QueueCounts(msgspec.Struct, kw_only=True):
    counts: dict[str, int]
    """Applications per status, under every filter given except status."""
    total: int


class CrmSyncView(msgspec.Struct, kw_only=True):
    """The customer's contact and the application's row in Dynamics 365, and the sync's state."""

    state: str
    """syncing, retrying, synced or failed."""
    contact_id: str | None
    application_id: str | None
    last_error: str | None
    attempts: int
    synced_version: int | None
    """The application version the CRM holds; behind ``version`` while a sync is due."""
    synced_at: datetime | None
    updated_at: datetime


class EarlierDecisionView(msgspec.Struct, kw_only=True):
    """A decision superseded by one made on newer evidence, kept whole with its trace."""

    version: int
    decided_at: datetime | None
    basis: str
    """declared or verified (open banking)."""
    obv_reference: str | None
    decision: dict[str, Any]


class StaffApplicationDetail(msgspec.Struct, kw_only=True):
    id: str
    reference: str
    status: str
    version: int
    """Send it back with every action: a stale one is refused with 409."""
    allowed_actions: list[str]
    """What the application allows staff to do now: the review decisions (approve,
    confirm_approval, decline, request_information), assign while it is open for review and
    unassign while someone has it; the route's permission still decides who may take them."""
    customer_id: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    steps: dict[str, dict[str, Any]]
    decision: StaffDecisionView | None
    assigned_to: AssignmentView | None
    proposal: ProposalView | None
    offer: OfferMadeView | None
    decline: DeclineView | None
    information_request: InformationRequestView | None
    four_eyes_threshold_pence: int
    erased_at: datetime | None
    notes: list[NoteView]
    documents: list[DocumentView]
    audit: list[AuditEntryView]
    lms: LmsSyncView | None = None
    """The loan in Anchor LMS once the offer is accepted: agreement number, sync state, error."""
    crm: CrmSyncView | None = None
    """The customer and application in Dynamics 365: CRM ids, sync state and last error."""
    open_banking: StaffOpenBankingView | None = None
    """The open-banking consent and, once the report is in, the provider's summary."""
    decision_version: int = 1
    """The version of ``decision``; verified open-banking figures re-run it as a new one."""
    earlier_decisions: list[EarlierDecisionView] = msgspec.field(default_factory=list)
    """Superseded decisions, oldest first, each with its trace."""
    duplicates: DuplicateCluster | None = None
    """Other applications sharing an e-mail, phone, device or bank-account hash with this one
    within the tracker's window, and the shared signals (None: no duplicates seen)."""
    unavailable: list[str] = msgspec.field(default_factory=list)
    """Secondary parts of the screen that could not be read just now because a dependency is
    down (``duplicates``); everything else on the screen is complete."""


def _convert(value: object, tp: type[T]) -> T | None:
    return None if value is None else msgspec.convert(msgspec.to_builtins(value), tp)


def crm_view(sync: CrmSync | None) -> CrmSyncView | None:
    return _convert(sync, CrmSyncView)


def earlier_decisions_view(versions: tuple[DecisionVersion, ...]) -> list[EarlierDecisionView]:
    return [msgspec.convert(msgspec.to_builtins(v), EarlierDecisionView) for v in versions]


def _affordability_view(decision: dict[str, Any]) -> dict[str, Any] | None:
    """The check as stored, beside the regular instalment of the same loan's offer."""
    checked = decision.get("affordability")
    if not isinstance(checked, dict):
        return None
    offer = decision.get("offer") or {}
    same_loan = (offer.get("amount_pence"), offer.get("term_months")) == (
        checked.get("amount_pence"),
        checked.get("term_months"),
    )
    regular = offer.get("monthly_instalment_pence") if same_loan else None
    return {**checked, "regular_instalment_pence": regular}


def decision_view(decision: dict[str, Any] | None) -> StaffDecisionView | None:
    if decision is None:
        return None
    return StaffDecisionView(
        outcome=decision["outcome"],
        reasons=list(decision.get("reasons") or []),
        rule_set_version=decision.get("rule_set_version", ""),
        offer=_convert(decision.get("offer"), OfferTermsView),
        affordability=_affordability_view(decision),
        risk_flags=list(decision.get("risk_flags") or []),
        trace=[msgspec.convert(r, RuleResultView) for r in decision.get("trace") or []],
    )


def queue_item(record: ApplicationRecord) -> QueueItem:
    personal = record.steps.get("personal", {})
    loan = record.steps.get("loan", {})
    names = [personal.get("first_name"), personal.get("last_name")]
    decision = record.decision or {}
    assigned = record.assigned_to
    return QueueItem(
        id=record.id,
        reference=record.reference,
        status=record.status.value,
        version=record.version,
        customer_id=record.customer_id,
        applicant_name=" ".join(n for n in names if n) or None,
        email=personal.get("email"),
        amount_pence=loan.get("amount_pence"),
        term_months=loan.get("term_months"),
        outcome=decision.get("outcome"),
        risk_flags=list(decision.get("risk_flags") or []),
        assigned_to=(
            StaffRefView(id=assigned.staff.id, username=assigned.staff.username)
            if assigned
            else None
        ),
        submitted_at=record.submitted_at,
        updated_at=record.updated_at,
    )


def application_detail(
    record: ApplicationRecord,
    *,
    allowed_actions: list[str],
    four_eyes_threshold_pence: int,
    notes: list[Note],
    documents: list[DocumentRecord],
    audit: list[AuditEvent],
) -> StaffApplicationDetail:
    return StaffApplicationDetail(
        id=record.id,
        reference=record.reference,
        status=record.status.value,
        version=record.version,
        allowed_actions=allowed_actions,
        customer_id=record.customer_id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        submitted_at=record.submitted_at,
        steps=record.steps,
        decision=decision_view(record.decision),
        assigned_to=_convert(record.assigned_to, AssignmentView),
        proposal=_convert(record.proposal, ProposalView),
        offer=_convert(record.offer, OfferMadeView),
        decline=_convert(record.decline, DeclineView),
        information_request=_convert(record.information_request, InformationRequestView),
        four_eyes_threshold_pence=four_eyes_threshold_pence,
        erased_at=record.erased_at,
        notes=[note_view(n) for n in notes],
        documents=[document_view(d) for d in documents],
        audit=[audit_view(e) for e in audit],
        lms=_convert(record.lms, LmsSyncView),
        crm=crm_view(record.crm),
        open_banking=staff_open_banking_view(record.open_banking),
        decision_version=record.decision_version,
        earlier_decisions=earlier_decisions_view(record.earlier_decisions),
    )
