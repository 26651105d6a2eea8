"""The application state machine: every status against every action, legal and illegal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ff_shared.domain.decision import Offer, Outcome
from ff_shared.domain.lifecycle import (
    OPEN_FOR_REVIEW,
    TRANSITIONS,
    Action,
    FourEyesError,
    IllegalTransitionError,
    SeniorOverrideRequiredError,
    check_approver,
    check_confirmer,
    needs_second_approval,
    next_status,
    staff_actions,
)
from ff_shared.domain.permissions import Role
from ff_shared.domain.records import ApplicationStatus as S
from ff_shared.domain.review import Proposal, StaffRef

EXPECTED: dict[tuple[S, Action], set[S]] = {
    (S.DRAFT, Action.SUBMIT): {S.IN_REVIEW, S.DECLINED},
    (S.DRAFT, Action.WITHDRAW): {S.WITHDRAWN},
    (S.IN_REVIEW, Action.APPROVE): {S.OFFERED, S.AWAITING_SECOND_APPROVAL},
    (S.IN_REVIEW, Action.DECLINE): {S.DECLINED},
    (S.IN_REVIEW, Action.REQUEST_INFORMATION): {S.INFORMATION_REQUESTED},
    (S.IN_REVIEW, Action.WITHDRAW): {S.WITHDRAWN},
    (S.INFORMATION_REQUESTED, Action.PROVIDE_INFORMATION): {S.IN_REVIEW},
    (S.INFORMATION_REQUESTED, Action.APPROVE): {S.OFFERED, S.AWAITING_SECOND_APPROVAL},
    (S.INFORMATION_REQUESTED, Action.DECLINE): {S.DECLINED},
    (S.INFORMATION_REQUESTED, Action.WITHDRAW): {S.WITHDRAWN},
    (S.AWAITING_SECOND_APPROVAL, Action.CONFIRM_APPROVAL): {S.OFFERED},
    (S.AWAITING_SECOND_APPROVAL, Action.DECLINE): {S.DECLINED},
    (S.AWAITING_SECOND_APPROVAL, Action.WITHDRAW): {S.WITHDRAWN},
    (S.OFFERED, Action.ACCEPT_OFFER): {S.ACCEPTED},
    (S.OFFERED, Action.DECLINE_OFFER): {S.OFFER_DECLINED},
    (S.OFFERED, Action.WITHDRAW): {S.WITHDRAWN},
    (S.DECLINED, Action.APPROVE): {S.OFFERED, S.AWAITING_SECOND_APPROVAL},
}

ALL_PAIRS = [(status, action) for status in S for action in Action]


def test_the_table_is_exactly_the_documented_machine() -> None:
    table = {
        (status, action): set(targets)
        for status, actions in TRANSITIONS.items()
        for action, targets in actions.items()
    }
    assert table == EXPECTED
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_status_and_action(status: S, action: Action) -> None:
    if (status, action) not in EXPECTED:
        with pytest.raises(IllegalTransitionError) as raised:
            next_status(status, action, outcome=Outcome.APPROVE)
        assert raised.value.current is status
        assert f"the application is {status.value}" in str(raised.value)
        return
    if action is Action.SUBMIT:
        assert next_status(status, action, outcome=Outcome.APPROVE) is S.IN_REVIEW
        assert next_status(status, action, outcome=Outcome.REFER) is S.IN_REVIEW
        assert next_status(status, action, outcome=Outcome.DECLINE) is S.DECLINED
    elif action is Action.APPROVE:
        assert next_status(status, action) is S.OFFERED
        assert next_status(status, action, needs_second_approval=True) is (
            S.AWAITING_SECOND_APPROVAL
        )
    else:
        (expected,) = EXPECTED[status, action]
        assert next_status(status, action) is expected


def test_final_statuses_allow_nothing() -> None:
    for status in (S.ACCEPTED, S.OFFER_DECLINED, S.WITHDRAWN):
        with pytest.raises(IllegalTransitionError, match="nothing \\(it is final\\)"):
            next_status(status, Action.APPROVE)


def test_a_submission_needs_the_engines_outcome() -> None:
    with pytest.raises(ValueError, match="outcome"):
        next_status(S.DRAFT, Action.SUBMIT)


def test_four_eyes_applies_strictly_above_the_threshold() -> None:
    assert not needs_second_approval(150_000, 150_000)
    assert needs_second_approval(150_001, 150_000)
    assert not needs_second_approval(20_000, 150_000)


def test_only_a_senior_underwriter_overrides_a_decline() -> None:
    check_approver(S.DECLINED, {Role.SENIOR_UNDERWRITER})
    for roles in ({Role.UNDERWRITER}, {Role.ADMIN}, set()):
        with pytest.raises(SeniorOverrideRequiredError):
            check_approver(S.DECLINED, roles)
    check_approver(S.IN_REVIEW, {Role.UNDERWRITER})
    with pytest.raises(IllegalTransitionError):
        check_approver(S.OFFERED, {Role.SENIOR_UNDERWRITER})


def _proposal(by: str) -> Proposal:
    offer = Offer(
        amount_pence=200_000,
        term_months=12,
        monthly_instalment_pence=20_000,
        apr_percent=42.6,
        total_repayable_pence=240_000,
        annual_rate_bps=3600,
    )
    return Proposal(
        offer=offer,
        proposed_by=StaffRef(id=by, username=f"{by}@example.com"),
        proposed_at=datetime(2026, 1, 1, tzinfo=UTC),
        at_version=5,
    )


def test_the_proposer_cannot_confirm_their_own_approval() -> None:
    me = StaffRef(id="s-1", username="s1@example.com")
    with pytest.raises(FourEyesError, match="different senior underwriter"):
        check_confirmer(_proposal("s-1"), me, {Role.SENIOR_UNDERWRITER})


def test_only_a_senior_underwriter_confirms() -> None:
    other = StaffRef(id="s-2", username="s2@example.com")
    check_confirmer(_proposal("s-1"), other, {Role.SENIOR_UNDERWRITER})
    for roles in ({Role.UNDERWRITER}, {Role.ADMIN}):
        with pytest.raises(FourEyesError, match="only a senior underwriter"):
            check_confirmer(_proposal("s-1"), other, roles)


def test_staff_work_only_applications_under_review() -> None:
    assert S.DRAFT not in OPEN_FOR_REVIEW
    assert S.OFFERED not in OPEN_FOR_REVIEW
    assert S.ACCEPTED not in OPEN_FOR_REVIEW
    assert S.DECLINED in OPEN_FOR_REVIEW


def test_staff_see_only_their_own_decisions_as_next_actions() -> None:
    assert staff_actions(S.IN_REVIEW) == [
        Action.APPROVE,
        Action.DECLINE,
        Action.REQUEST_INFORMATION,
    ]
    assert staff_actions(S.AWAITING_SECOND_APPROVAL) == [Action.CONFIRM_APPROVAL, Action.DECLINE]
    assert staff_actions(S.OFFERED) == []
    assert staff_actions(S.DECLINED) == [Action.APPROVE]
