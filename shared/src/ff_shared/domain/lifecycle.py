"""The application's state machine: the one place that says which status may follow which.

Every status change in the platform asks :func:`next_status`; nothing sets a status by hand. The
engine's approve and refer put a submitted application in the queue (``in_review``), its decline
makes it ``declined``, which only a senior underwriter may override. An approval makes an offer,
or above the four-eyes threshold waits for a second, different senior underwriter.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from ff_shared.domain.decision import Outcome
from ff_shared.domain.permissions import Role
from ff_shared.domain.records import ApplicationStatus
from ff_shared.domain.review import Proposal, StaffRef

S = ApplicationStatus


class Action(enum.StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    CONFIRM_APPROVAL = "confirm_approval"
    DECLINE = "decline"
    REQUEST_INFORMATION = "request_information"
    PROVIDE_INFORMATION = "provide_information"
    ACCEPT_OFFER = "accept_offer"
    DECLINE_OFFER = "decline_offer"
    WITHDRAW = "withdraw"


TRANSITIONS: Mapping[ApplicationStatus, Mapping[Action, frozenset[ApplicationStatus]]] = {
    S.DRAFT: {
        Action.SUBMIT: frozenset({S.IN_REVIEW, S.DECLINED}),
        Action.WITHDRAW: frozenset({S.WITHDRAWN}),
    },
    S.IN_REVIEW: {
        Action.APPROVE: frozenset({S.OFFERED, S.AWAITING_SECOND_APPROVAL}),
        Action.DECLINE: frozenset({S.DECLINED}),
        Action.REQUEST_INFORMATION: frozenset({S.INFORMATION_REQUESTED}),
        Action.WITHDRAW: frozenset({S.WITHDRAWN}),
    },
    S.INFORMATION_REQUESTED: {
        Action.PROVIDE_INFORMATION: frozenset({S.IN_REVIEW}),
        Action.APPROVE: frozenset({S.OFFERED, S.AWAITING_SECOND_APPROVAL}),
        Action.DECLINE: frozenset({S.DECLINED}),
        Action.WITHDRAW: frozenset({S.WITHDRAWN}),
    },
    S.AWAITING_SECOND_APPROVAL: {
        Action.CONFIRM_APPROVAL: frozenset({S.OFFERED}),
        Action.DECLINE: frozenset({S.DECLINED}),
        Action.WITHDRAW: frozenset({S.WITHDRAWN}),
    },
    S.OFFERED: {
        Action.ACCEPT_OFFER: frozenset({S.ACCEPTED}),
        Action.DECLINE_OFFER: frozenset({S.OFFER_DECLINED}),
        Action.WITHDRAW: frozenset({S.WITHDRAWN}),
    },
    # An engine decline (or a staff one) stands unless a senior underwriter overrides it.
    S.DECLINED: {
        Action.APPROVE: frozenset({S.OFFERED, S.AWAITING_SECOND_APPROVAL}),
    },
    S.ACCEPTED: {},
    S.OFFER_DECLINED: {},
    S.WITHDRAWN: {},
}

OPEN_FOR_REVIEW = frozenset(
    {S.IN_REVIEW, S.INFORMATION_REQUESTED, S.AWAITING_SECOND_APPROVAL, S.DECLINED}
)
"""Statuses in which staff may take an application on (assign, unassign)."""

AWAITING_A_PERSON = frozenset({S.IN_REVIEW, S.INFORMATION_REQUESTED, S.AWAITING_SECOND_APPROVAL})
"""Submitted and not yet decided by a person: the customer sees "under review", and the
engine's outcome (which may change with new evidence) stays with staff."""

SUBMITTED = frozenset(s for s in S if s is not S.DRAFT)
"""Statuses a submitted application can be in: the staff queue's universe."""


class LifecycleError(Exception):
    """A review action the rules refuse."""


class IllegalTransitionError(LifecycleError):
    def __init__(self, current: ApplicationStatus, action: Action) -> None:
        allowed = sorted(a.value for a in TRANSITIONS[current])
        options = ", ".join(allowed) if allowed else "nothing (it is final)"
        super().__init__(
            f"the application is {current.value}: {action.value} is not allowed "
            f"(allowed now: {options})"
        )
        self.current = current
        self.action = action


class SeniorOverrideRequiredError(LifecycleError):
    def __init__(self) -> None:
        super().__init__("only a senior underwriter may approve a declined application")


class FourEyesError(LifecycleError):
    """A confirmation by someone who may not give it: not senior, or the proposer."""


class ActionRefusedError(LifecycleError):
    """An action the application's status allows but its record does not: there is no proposal
    to confirm, no offer to answer, nobody to unassign."""


STAFF_ACTIONS = frozenset(
    {Action.APPROVE, Action.CONFIRM_APPROVAL, Action.DECLINE, Action.REQUEST_INFORMATION}
)
"""The review decisions staff take; the others belong to the customer or to erasure."""


def allowed_actions(current: ApplicationStatus) -> list[Action]:
    return sorted(TRANSITIONS[current])


def staff_actions(current: ApplicationStatus) -> list[Action]:
    """The review decisions open to staff now (whether a role may take them is the
    permission table's business)."""
    return sorted(a for a in TRANSITIONS[current] if a in STAFF_ACTIONS)


def staff_options(current: ApplicationStatus, *, assigned: bool) -> list[str]:
    """Everything staff can do now: the review decisions, taking the application on (``assign``,
    while it is open for review) and handing it back (``unassign``, while someone has it)."""
    options = [a.value for a in staff_actions(current)]
    if current in OPEN_FOR_REVIEW:
        options.append("assign")
    if assigned:
        options.append("unassign")
    return sorted(options)


def ensure_allowed(current: ApplicationStatus, action: Action) -> None:
    if action not in TRANSITIONS[current]:
        raise IllegalTransitionError(current, action)


def next_status(
    current: ApplicationStatus,
    action: Action,
    *,
    outcome: Outcome | None = None,
    needs_second_approval: bool = False,
) -> ApplicationStatus:
    """The status ``action`` leads to from ``current``; raises :class:`IllegalTransitionError`.

    ``outcome`` decides a submission; ``needs_second_approval`` an approval.
    """
    ensure_allowed(current, action)
    targets = TRANSITIONS[current][action]
    if action is Action.SUBMIT:
        if outcome is None:
            raise ValueError("a submission needs the engine's outcome")
        target = S.DECLINED if outcome is Outcome.DECLINE else S.IN_REVIEW
    elif action is Action.APPROVE:
        target = S.AWAITING_SECOND_APPROVAL if needs_second_approval else S.OFFERED
    else:
        (target,) = targets
    assert target in targets
    return target


def needs_second_approval(amount_pence: int, threshold_pence: int) -> bool:
    """Four eyes for any approval over the threshold (an approval of exactly it needs two)."""
    return amount_pence > threshold_pence


def check_approver(current: ApplicationStatus, roles: Iterable[Role]) -> None:
    """Approving a declined application is an override, which needs a senior underwriter."""
    ensure_allowed(current, Action.APPROVE)
    if current is S.DECLINED and Role.SENIOR_UNDERWRITER not in set(roles):
        raise SeniorOverrideRequiredError()


def check_confirmer(proposal: Proposal, confirmer: StaffRef, roles: Iterable[Role]) -> None:
    """The second pair of eyes is a senior underwriter who is not the proposer."""
    if Role.SENIOR_UNDERWRITER not in set(roles):
        raise FourEyesError("only a senior underwriter may confirm an approval")
    if confirmer.id == proposal.proposed_by.id:
        raise FourEyesError(
            "the approval was proposed by you; a different senior underwriter must confirm it"
        )
