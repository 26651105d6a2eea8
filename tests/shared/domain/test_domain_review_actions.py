"""Review actions and the customer's answers: the new record and its effects, no store."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from ff_shared.domain import review_actions
from ff_shared.domain.decision import decide, offer_for
from ff_shared.domain.emails import EmailKind
from ff_shared.domain.lifecycle import (
    ActionRefusedError,
    FourEyesError,
    IllegalTransitionError,
    SeniorOverrideRequiredError,
)
from ff_shared.domain.permissions import Role
from ff_shared.domain.pricing import OutsideProductError
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.domain.review import (
    Assignment,
    DeclineReason,
    InformationRequest,
    OfferMade,
    Proposal,
    StaffRef,
)
from ff_shared.domain.review_actions import FollowUp, OfferAboveRequestError
from ff_shared.domain.steps import EXAMPLES, ApplicationData
from ff_shared.errors import (
    FourEyesRequired,
    IllegalTransition,
    InvalidInput,
    SeniorOverrideRequired,
    as_domain_error,
)

S = ApplicationStatus
READ_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = READ_AT + timedelta(hours=1)
TODAY = date(2026, 3, 2)
PRODUCT = LoanProduct()
THRESHOLD = 150_000
ME = StaffRef(id="staff-1", username="underwriter@example.com")
SENIOR = StaffRef(id="staff-2", username="senior@example.com")
OTHER_SENIOR = StaffRef(id="staff-3", username="senior2@example.com")
UNDERWRITER = {Role.UNDERWRITER}
SENIOR_ROLES = {Role.SENIOR_UNDERWRITER}


def application(status: ApplicationStatus = S.IN_REVIEW, **fields: object) -> ApplicationRecord:
    data = msgspec.convert(EXAMPLES, ApplicationData)
    record = ApplicationRecord(
        id="app-1",
        reference="FF-ABCDEFGH",
        customer_id="cust-1",
        status=status,
        version=5,
        steps=copy.deepcopy(EXAMPLES),
        created_at=READ_AT,
        updated_at=READ_AT,
        submitted_at=READ_AT,
        decision=msgspec.to_builtins(decide(data, product=PRODUCT, today=TODAY)),
    )
    return msgspec.structs.replace(record, **fields)


def approve(
    current: ApplicationRecord, amount_pence: int = 100_000, roles: set[Role] = UNDERWRITER
) -> review_actions.Reviewed:
    return review_actions.approve(
        current,
        by=ME,
        roles=roles,
        amount_pence=amount_pence,
        term_months=12,
        product=PRODUCT,
        four_eyes_threshold_pence=THRESHOLD,
        today=TODAY,
        now=NOW,
    )


def proposed() -> ApplicationRecord:
    proposal = Proposal(
        offer=offer_for(PRODUCT, 200_000, 12, TODAY - timedelta(days=3)),
        proposed_by=SENIOR,
        proposed_at=READ_AT,
        at_version=5,
        affordable=True,
    )
    return application(S.AWAITING_SECOND_APPROVAL, proposal=proposal)


def offered() -> ApplicationRecord:
    made = OfferMade(
        offer=offer_for(PRODUCT, 100_000, 12, TODAY), proposed_by=ME, made_at=READ_AT, at_version=5
    )
    return application(S.OFFERED, offer=made)


def test_an_approval_under_the_threshold_makes_the_offer_and_emails_it() -> None:
    current = application()
    done = approve(current)
    after = done.application
    assert after.status is S.OFFERED
    assert after.version == 6
    assert after.updated_at == NOW
    assert after.offer is not None
    assert after.offer.offer == offer_for(PRODUCT, 100_000, 12, TODAY)
    assert after.offer.proposed_by == ME
    assert after.offer.at_version == 6
    assert after.offer.affordable is True
    assert after.proposal is None
    assert done.emails == (EmailKind.OFFER_MADE,)
    assert done.follow_ups == (FollowUp.SYNC_TO_CRM,)
    assert done.audit.action == "application.approved"
    assert done.audit.before["status"] == "in_review"
    assert done.audit.after["status"] == "offered"
    assert current.status is S.IN_REVIEW, "the record read is not changed"


def test_an_approval_over_the_threshold_waits_for_a_second_senior_and_emails_nobody() -> None:
    steps = {**EXAMPLES, "loan": {**EXAMPLES["loan"], "amount_pence": 250_000}}
    done = approve(application(steps=steps), amount_pence=200_000)
    assert done.application.status is S.AWAITING_SECOND_APPROVAL
    assert done.application.offer is None
    assert done.application.proposal is not None
    assert done.application.proposal.proposed_by == ME
    assert done.application.proposal.at_version == 6
    assert done.emails == ()
    assert done.audit.action == "application.approval_proposed"


def test_an_offer_above_the_request_is_refused_as_invalid_input() -> None:
    with pytest.raises(OfferAboveRequestError) as refused:
        approve(application(), amount_pence=100_001)
    problem = as_domain_error(refused.value)
    assert isinstance(problem, InvalidInput)
    assert [e.path for e in problem.errors] == ["amount_pence"]
    assert "100000" in problem.errors[0].message


def test_an_offer_outside_the_product_is_refused_with_its_field() -> None:
    steps = {**EXAMPLES, "loan": {**EXAMPLES["loan"], "amount_pence": 10_000_000}}
    with pytest.raises(OutsideProductError) as refused:
        approve(application(steps=steps), amount_pence=10_000_000)
    problem = as_domain_error(refused.value)
    assert isinstance(problem, InvalidInput)
    assert [e.path for e in problem.errors] == ["amount_pence"]


def test_only_a_senior_overrides_a_decline_and_the_decline_is_cleared() -> None:
    declined = application(S.DECLINED)
    with pytest.raises(SeniorOverrideRequiredError) as refused:
        approve(declined)
    assert isinstance(as_domain_error(refused.value), SeniorOverrideRequired)
    done = approve(declined, roles=SENIOR_ROLES)
    assert done.application.status is S.OFFERED
    assert done.application.decline is None
    assert done.application.offer is not None
    assert done.application.offer.overrides_decline is True


def test_approving_a_final_application_is_an_illegal_transition() -> None:
    with pytest.raises(IllegalTransitionError) as refused:
        approve(application(S.WITHDRAWN))
    assert isinstance(as_domain_error(refused.value), IllegalTransition)


def test_a_second_senior_confirms_the_proposal_as_an_offer_priced_today() -> None:
    done = review_actions.confirm_approval(
        proposed(), by=OTHER_SENIOR, roles=SENIOR_ROLES, product=PRODUCT, today=TODAY, now=NOW
    )
    after = done.application
    assert after.status is S.OFFERED
    assert after.proposal is None
    assert after.offer is not None
    assert after.offer.offer == offer_for(PRODUCT, 200_000, 12, TODAY)
    assert after.offer.proposed_by == SENIOR
    assert after.offer.confirmed_by == OTHER_SENIOR
    assert after.offer.affordable is True
    assert done.emails == (EmailKind.OFFER_MADE,)
    assert done.audit.action == "application.approval_confirmed"


def test_the_proposer_cannot_confirm_their_own_proposal() -> None:
    with pytest.raises(FourEyesError) as refused:
        review_actions.confirm_approval(
            proposed(), by=SENIOR, roles=SENIOR_ROLES, product=PRODUCT, today=TODAY, now=NOW
        )
    assert isinstance(as_domain_error(refused.value), FourEyesRequired)


def test_confirming_without_a_proposal_is_refused() -> None:
    bare = application(S.AWAITING_SECOND_APPROVAL)
    with pytest.raises(ActionRefusedError, match="no approval waiting") as refused:
        review_actions.confirm_approval(
            bare, by=OTHER_SENIOR, roles=SENIOR_ROLES, product=PRODUCT, today=TODAY, now=NOW
        )
    assert isinstance(as_domain_error(refused.value), IllegalTransition)


def test_a_decline_records_the_reason_drops_a_proposal_and_emails_the_customer() -> None:
    done = review_actions.decline(
        proposed(), by=ME, reason_code=DeclineReason.UNAFFORDABLE, note="rent too high", now=NOW
    )
    after = done.application
    assert after.status is S.DECLINED
    assert after.proposal is None
    assert after.decline is not None
    assert after.decline.reason_code is DeclineReason.UNAFFORDABLE
    assert after.decline.declined_by == ME
    assert after.decline.at_version == 6
    assert done.emails == (EmailKind.DECLINED,)
    assert done.follow_ups == (FollowUp.SYNC_TO_CRM,)
    assert done.audit.action == "application.declined"


def test_a_request_for_information_asks_the_customer_by_email() -> None:
    done = review_actions.request_information(application(), by=ME, needed="a P60", now=NOW)
    after = done.application
    assert after.status is S.INFORMATION_REQUESTED
    assert after.information_request == InformationRequest(
        needed="a P60", requested_by=ME, requested_at=NOW, at_version=6
    )
    assert done.emails == (EmailKind.INFORMATION_REQUESTED,)
    assert done.audit.after["status"] == "information_requested"


def test_an_application_under_review_is_assigned_and_unassigned_without_emails() -> None:
    done = review_actions.assign(application(), assignee=SENIOR, by=ME, now=NOW)
    assert done.application.assigned_to == Assignment(staff=SENIOR, assigned_by=ME, assigned_at=NOW)
    assert done.application.status is S.IN_REVIEW
    assert done.emails == ()
    assert done.audit.action == "application.assigned"
    assert set(done.audit.after) == {"assigned_to"}
    undone = review_actions.unassign(done.application, now=NOW)
    assert undone.application.assigned_to is None
    assert undone.application.version == 7
    assert undone.audit.action == "application.unassigned"


def test_a_closed_application_cannot_be_assigned_nor_an_unassigned_one_unassigned() -> None:
    with pytest.raises(ActionRefusedError, match="only applications under review"):
        review_actions.assign(offered(), assignee=ME, by=ME, now=NOW)
    with pytest.raises(ActionRefusedError, match="not assigned to anyone"):
        review_actions.unassign(application(), now=NOW)


def test_accepting_the_offer_books_the_loan_and_tells_the_crm() -> None:
    done = review_actions.accept_offer(offered(), now=NOW)
    after = done.application
    assert after.status is S.ACCEPTED
    assert after.offer is not None
    assert after.offer.response == "accepted"
    assert after.offer.responded_at == NOW
    assert done.follow_ups == (FollowUp.CREATE_LMS_LOAN, FollowUp.SYNC_TO_CRM)
    assert done.emails == ()
    assert done.audit.action == "application.offer_accepted"
    assert done.audit.after["status"] == "accepted"


def test_declining_the_offer_records_the_answer_and_calls_for_nothing() -> None:
    done = review_actions.decline_offer(offered(), now=NOW)
    assert done.application.status is S.OFFER_DECLINED
    assert done.application.offer is not None
    assert done.application.offer.response == "declined"
    assert done.follow_ups == ()
    assert done.audit.action == "application.offer_declined"


def test_an_offer_can_be_answered_only_while_it_stands() -> None:
    with pytest.raises(IllegalTransitionError):
        review_actions.accept_offer(application(), now=NOW)
    with pytest.raises(ActionRefusedError, match="no offer to answer"):
        review_actions.decline_offer(application(S.OFFERED), now=NOW)


def test_the_customer_answers_a_request_for_information() -> None:
    asked = InformationRequest(needed="a P60", requested_by=ME, requested_at=READ_AT, at_version=5)
    current = application(S.INFORMATION_REQUESTED, information_request=asked)
    done = review_actions.provide_information(current, message="uploaded it", now=NOW)
    assert done.application.status is S.IN_REVIEW
    assert done.application.information_request is not None
    assert done.application.information_request.response == "uploaded it"
    assert done.application.information_request.responded_at == NOW
    assert done.audit.action == "application.information_provided"
    with pytest.raises(ActionRefusedError, match="nothing was asked"):
        review_actions.provide_information(
            application(S.INFORMATION_REQUESTED), message=None, now=NOW
        )
