"""Every state-machine transition through the API: each legal one from a fresh application,
and every illegal one (each action in each status where it is not allowed) refused with 409
naming the current status, changing nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.staff import (
    Applicant,
    ApplicantFactory,
    StaffFactory,
    StaffMember,
    SubmitFactory,
    act,
    open_application,
)

from ff_shared.domain.records import ApplicationStatus as S

Client = AsyncTestClient[Litestar]

LARGE = {"amount_pence": 200_000, "term_months": 24}
SMALL = {"amount_pence": 50_000, "term_months": 6}


@dataclass
class Cast:
    underwriter: StaffMember
    senior: StaffMember
    second_senior: StaffMember
    admin: StaffMember


@dataclass
class Case:
    app_id: str
    who: Applicant


@pytest.fixture(scope="module")
async def cast(staff_member: StaffFactory) -> Cast:
    return Cast(
        underwriter=await staff_member("underwriter"),
        senior=await staff_member("senior_underwriter"),
        second_senior=await staff_member("senior_underwriter"),
        admin=await staff_member("admin"),
    )


async def _customer(client: Client, who: Applicant, app_id: str, action: str, **body: Any) -> Any:
    return await client.post(
        f"/v1/applications/{app_id}/{action}", json=body or None, headers=who.headers
    )


async def make_case(
    status: S,
    client: Client,
    cast: Cast,
    applicant: ApplicantFactory,
    submit: SubmitFactory,
) -> Case:
    who = await applicant()
    if status is S.DRAFT:
        created = await client.post("/v1/applications", headers=who.headers)
        return Case(app_id=created.json()["id"], who=who)
    if status is S.WITHDRAWN:
        created = await client.post("/v1/applications", headers=who.headers)
        profile = await client.get(
            f"/v1/staff/customers/{who.customer_id}", headers=cast.admin.headers
        )
        erased = await client.post(
            f"/v1/staff/customers/{who.customer_id}/erase",
            json={"version": profile.json()["version"]},
            headers=cast.admin.headers,
        )
        assert erased.status_code == 200, erased.text
        return Case(app_id=created.json()["id"], who=who)
    if status is S.DECLINED:
        app = await submit(who, declarations={"insolvency": "iva"})
        return Case(app_id=app["id"], who=who)
    large = status is S.AWAITING_SECOND_APPROVAL
    app = await submit(who, loan=LARGE if large else {})
    case = Case(app_id=app["id"], who=who)
    steps: dict[S, list[tuple[str, dict[str, Any]]]] = {
        S.IN_REVIEW: [],
        S.INFORMATION_REQUESTED: [("request-information", {"needed": "a payslip"})],
        S.AWAITING_SECOND_APPROVAL: [("approve", LARGE)],
        S.OFFERED: [("approve", SMALL)],
        S.ACCEPTED: [("approve", SMALL)],
        S.OFFER_DECLINED: [("approve", SMALL)],
    }
    for action, body in steps[status]:
        response = await act(client, cast.underwriter, case.app_id, action, **body)
        assert response.status_code == 200, response.text
    if status is S.ACCEPTED:
        assert (await _customer(client, who, case.app_id, "offer/accept")).status_code == 200
    if status is S.OFFER_DECLINED:
        assert (await _customer(client, who, case.app_id, "offer/decline")).status_code == 200
    return case


async def perform(client: Client, cast: Cast, case: Case, action: str) -> Any:
    staff_actions: dict[str, tuple[StaffMember, dict[str, Any]]] = {
        "assign": (cast.underwriter, {}),
        "approve": (cast.senior, SMALL),
        "confirm-approval": (cast.second_senior, {}),
        "decline": (cast.underwriter, {"reason_code": "other", "note": "not this time"}),
        "request-information": (cast.underwriter, {"needed": "a bank statement"}),
    }
    if action in staff_actions:
        staff, body = staff_actions[action]
        return await act(client, staff, case.app_id, action, **body)
    if action == "information":
        return await _customer(client, case.who, case.app_id, action, message="sent it")
    return await _customer(client, case.who, case.app_id, action)


LEGAL: dict[str, set[S]] = {
    "assign": {S.IN_REVIEW, S.INFORMATION_REQUESTED, S.AWAITING_SECOND_APPROVAL, S.DECLINED},
    "approve": {S.IN_REVIEW, S.INFORMATION_REQUESTED, S.DECLINED},
    "confirm-approval": {S.AWAITING_SECOND_APPROVAL},
    "decline": {S.IN_REVIEW, S.INFORMATION_REQUESTED, S.AWAITING_SECOND_APPROVAL},
    "request-information": {S.IN_REVIEW},
    "information": {S.INFORMATION_REQUESTED},
    "offer/accept": {S.OFFERED, S.ACCEPTED},
    "offer/decline": {S.OFFERED},
    "submit": {S.DRAFT},
}
"""Where each action is allowed (accepting again is an idempotent repeat, not a transition)."""

CUSTOMER_ACTIONS = {"information", "offer/accept", "offer/decline", "submit"}

ILLEGAL = [
    (status, action) for action, legal in LEGAL.items() for status in S if status not in legal
]


@pytest.fixture(scope="module")
async def cases(
    client: Client, cast: Cast, applicant: ApplicantFactory, submit_application: SubmitFactory
) -> dict[S, Case]:
    """One application in each status; illegal actions leave them as they are."""
    return {s: await make_case(s, client, cast, applicant, submit_application) for s in S}


async def _state(client: Client, cast: Cast, case: Case) -> tuple[str, int]:
    detail = await open_application(client, cast.admin, case.app_id)
    return detail["status"], detail["version"]


@pytest.mark.parametrize(("status", "action"), ILLEGAL, ids=lambda v: str(v))
async def test_an_illegal_action_is_a_409_naming_the_status(
    client: Client, cast: Cast, cases: dict[S, Case], status: S, action: str
) -> None:
    case = cases[status]
    before = await _state(client, cast, case)
    assert before[0] == status.value
    response = await perform(client, cast, case, action)
    body = response.json()
    if status is S.WITHDRAWN and action in CUSTOMER_ACTIONS:
        # Withdrawn here by erasure: an erased customer can no longer write anything at all.
        assert response.status_code == 403, response.text
        assert "erased" in body["detail"]
    else:
        assert response.status_code == 409, response.text
        assert body["code"] in {"illegal_transition", "application_locked"}
        assert status.value in body["detail"]
    assert await _state(client, cast, case) == before


LEGAL_STEPS = [
    (S.DRAFT, "submit", S.IN_REVIEW),
    (S.IN_REVIEW, "approve", S.OFFERED),
    (S.IN_REVIEW, "decline", S.DECLINED),
    (S.IN_REVIEW, "request-information", S.INFORMATION_REQUESTED),
    (S.INFORMATION_REQUESTED, "information", S.IN_REVIEW),
    (S.INFORMATION_REQUESTED, "approve", S.OFFERED),
    (S.INFORMATION_REQUESTED, "decline", S.DECLINED),
    (S.AWAITING_SECOND_APPROVAL, "confirm-approval", S.OFFERED),
    (S.AWAITING_SECOND_APPROVAL, "decline", S.DECLINED),
    (S.OFFERED, "offer/accept", S.ACCEPTED),
    (S.OFFERED, "offer/decline", S.OFFER_DECLINED),
    (S.DECLINED, "approve", S.OFFERED),
    (S.IN_REVIEW, "assign", S.IN_REVIEW),
    (S.INFORMATION_REQUESTED, "assign", S.INFORMATION_REQUESTED),
    (S.AWAITING_SECOND_APPROVAL, "assign", S.AWAITING_SECOND_APPROVAL),
    (S.DECLINED, "assign", S.DECLINED),
]


@pytest.mark.parametrize(("status", "action", "target"), LEGAL_STEPS, ids=lambda v: str(v))
async def test_a_legal_action_moves_to_its_status(
    client: Client,
    cast: Cast,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    status: S,
    action: str,
    target: S,
) -> None:
    case = await make_case(status, client, cast, applicant, submit_application)
    if status is S.DRAFT:
        who = case.who
        submitted = await submit_application(who)
        assert submitted["status"] == target.value
        return
    _, version = await _state(client, cast, case)
    response = await perform(client, cast, case, action)
    assert response.status_code == 200, response.text
    assert await _state(client, cast, case) == (target.value, version + 1)
    audit = (await open_application(client, cast.admin, case.app_id))["audit"][-1]
    if status is not target:
        assert audit["before"]["status"] == status.value
        assert audit["after"]["status"] == target.value


async def test_a_submission_the_engine_declines_is_declined(
    cast: Cast, applicant: ApplicantFactory, submit_application: SubmitFactory
) -> None:
    app = await submit_application(await applicant(), declarations={"insolvency": "bankruptcy"})
    assert app["status"] == S.DECLINED.value


async def test_a_refer_is_queued_for_review(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant(), employment={"pay_frequency": "irregular"})
    assert (app["status"], app["decision"]) == (S.IN_REVIEW.value, None)
    detail = await open_application(client, await staff_as("underwriter"), app["id"])
    assert detail["decision"]["outcome"] == "refer"
