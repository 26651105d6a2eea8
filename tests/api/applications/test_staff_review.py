"""Reviewing applications: offers priced by the domain, four eyes, overrides, declines,
requests for information, assignment, notes and stale versions."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.staff import (
    ApplicantFactory,
    StaffFactory,
    SubmitFactory,
    act,
    open_application,
)

Client = AsyncTestClient[Litestar]

LARGE = {"amount_pence": 200_000, "term_months": 24}


async def test_the_detail_shows_the_decision_trace_and_affordability(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    detail = await open_application(client, await staff_as("underwriter"), app["id"])
    assert detail["status"] == "in_review"
    assert detail["version"] == app["version"]
    decision = detail["decision"]
    assert decision["rule_set_version"]
    rules = {r["rule"]: r for r in decision["trace"]}
    assert {"under_18", "affordability", "declared_insolvency", "thin_margin"} <= rules.keys()
    assert rules["affordability"]["inputs"]["monthly_income_pence"] == 185_000
    assert all({"rule", "passed", "inputs", "detail"} <= r.keys() for r in decision["trace"])
    assert decision["affordability"]["surplus_pence"] > 0
    # The check holds for the dearest month (the last carries the rounding); the offer quotes
    # the regular instalment, shown beside it.
    checked, offer = decision["affordability"], decision["offer"]
    assert checked["regular_instalment_pence"] == offer["monthly_instalment_pence"]
    assert checked["monthly_instalment_pence"] >= checked["regular_instalment_pence"]
    assert decision["risk_flags"] == []
    assert detail["allowed_actions"] == ["approve", "assign", "decline", "request_information"]
    assert detail["four_eyes_threshold_pence"] == 150_000
    assert [e["action"] for e in detail["audit"]] == ["application.submitted"]
    assert detail["notes"] == []
    assert detail["documents"] == []


async def test_approval_makes_an_offer_priced_by_the_domain(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    underwriter = await staff_as("underwriter")
    response = await act(
        client, underwriter, app["id"], "approve", amount_pence=80_000, term_months=9
    )
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["status"] == "offered"
    assert detail["version"] == app["version"] + 1
    offer = detail["offer"]
    quote = (
        await client.post("/v1/quotes", json={"amount_pence": 80_000, "term_months": 9})
    ).json()
    for field in ("monthly_instalment_pence", "apr_percent", "total_repayable_pence"):
        assert offer["offer"][field] == quote[field]
    assert offer["proposed_by"] == {"id": underwriter.id, "username": underwriter.username}
    assert offer["confirmed_by"] is None
    assert offer["affordable"] is True
    entry = detail["audit"][-1]
    assert entry["action"] == "application.approved"
    assert entry["actor"]["id"] == underwriter.id
    assert entry["actor"]["roles"] == ["underwriter"]
    assert entry["before"]["status"] == "in_review"
    assert entry["after"]["status"] == "offered"
    assert entry["after"]["offer"]["offer"]["amount_pence"] == 80_000
    assert entry["request_id"]
    customer_view = (await client.get(f"/v1/applications/{app['id']}", headers=who.headers)).json()
    assert customer_view["status"] == "offered"
    assert customer_view["offer"]["amount_pence"] == 80_000
    assert customer_view["offer"]["apr_percent"] == quote["apr_percent"]
    assert customer_view["offer"]["total_repayable_pence"] == quote["total_repayable_pence"]
    assert "proposed_by" not in customer_view["offer"]


async def test_an_offer_outside_the_product_or_above_the_request_is_refused(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    underwriter = await staff_as("underwriter")
    for body, path in (
        ({"amount_pence": 80_001, "term_months": 9}, "amount_pence"),
        ({"amount_pence": 80_000, "term_months": 36}, "term_months"),
        ({"amount_pence": 150_000, "term_months": 12}, "amount_pence"),
    ):
        response = await act(client, underwriter, app["id"], "approve", **body)
        assert response.status_code == 422, response.text
        assert [e["path"] for e in response.json()["errors"]] == [path]
    after = await open_application(client, underwriter, app["id"])
    assert after["status"] == "in_review"
    assert after["version"] == app["version"]


async def test_four_eyes_above_the_threshold_needs_a_different_senior(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_member: StaffFactory,
) -> None:
    app = await submit_application(await applicant(), loan=LARGE)
    proposer = await staff_member("senior_underwriter")
    proposed = await act(client, proposer, app["id"], "approve", **LARGE)
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert body["status"] == "awaiting_second_approval"
    assert body["offer"] is None
    assert body["proposal"]["offer"]["amount_pence"] == 200_000
    assert body["proposal"]["proposed_by"]["id"] == proposer.id
    assert body["audit"][-1]["action"] == "application.approval_proposed"

    own = await act(client, proposer, app["id"], "confirm-approval")
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes_required"
    for role in ("underwriter", "admin"):
        other = await staff_member(role)
        refused = await act(client, other, app["id"], "confirm-approval", version=body["version"])
        assert refused.status_code == 403, role
    unchanged = await open_application(client, proposer, app["id"])
    assert unchanged["status"] == "awaiting_second_approval"
    assert unchanged["version"] == body["version"]

    second = await staff_member("senior_underwriter")
    confirmed = await act(client, second, app["id"], "confirm-approval")
    assert confirmed.status_code == 200, confirmed.text
    offered = confirmed.json()
    assert offered["status"] == "offered"
    assert offered["proposal"] is None
    assert offered["offer"]["proposed_by"]["id"] == proposer.id
    assert offered["offer"]["confirmed_by"]["id"] == second.id
    assert offered["offer"]["offer"]["amount_pence"] == 200_000
    assert offered["audit"][-1]["action"] == "application.approval_confirmed"
    assert offered["audit"][-1]["actor"]["id"] == second.id


async def test_an_underwriters_approval_above_the_threshold_waits_too(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant(), loan=LARGE)
    response = await act(client, await staff_as("underwriter"), app["id"], "approve", **LARGE)
    assert response.json()["status"] == "awaiting_second_approval"
    at_threshold = await submit_application(await applicant(), loan={"amount_pence": 150_000})
    response = await act(
        client,
        await staff_as("underwriter"),
        at_threshold["id"],
        "approve",
        amount_pence=150_000,
        term_months=12,
    )
    assert response.json()["status"] == "offered"


async def test_only_a_senior_underwriter_overrides_an_engine_decline(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant(), declarations={"insolvency": "dro"})
    assert app["status"] == "declined"
    underwriter = await staff_as("underwriter")
    refused = await act(
        client, underwriter, app["id"], "approve", amount_pence=50_000, term_months=12
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "senior_override_required"
    senior = await staff_as("senior_underwriter")
    overridden = await act(
        client, senior, app["id"], "approve", amount_pence=50_000, term_months=12
    )
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["status"] == "offered"
    assert overridden.json()["offer"]["overrides_decline"] is True


async def test_decline_takes_a_reason_from_the_fixed_list(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    underwriter = await staff_as("underwriter")
    bad = await act(client, underwriter, app["id"], "decline", reason_code="vibes", note="no")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "reason_code"
    blank = await act(client, underwriter, app["id"], "decline", reason_code="other", note="  ")
    assert blank.status_code == 422
    response = await act(
        client,
        underwriter,
        app["id"],
        "decline",
        reason_code="existing_debt_too_high",
        note="three payday loans on the statement",
    )
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["status"] == "declined"
    assert detail["decline"]["reason_code"] == "existing_debt_too_high"
    assert detail["decline"]["note"] == "three payday loans on the statement"
    assert detail["decline"]["declined_by"]["id"] == underwriter.id
    assert detail["audit"][-1]["after"]["decline"]["reason_code"] == "existing_debt_too_high"


async def test_a_request_for_information_goes_back_to_review_when_answered(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    underwriter = await staff_as("underwriter")
    asked = await act(
        client, underwriter, app["id"], "request-information", needed="Your last two payslips"
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "information_requested"
    mine = (await client.get(f"/v1/applications/{app['id']}", headers=who.headers)).json()
    assert mine["information_request"]["needed"] == "Your last two payslips"
    answered = await client.post(
        f"/v1/applications/{app['id']}/information",
        json={"message": "Uploaded both"},
        headers={**who.headers, "If-Match": f'"{mine["version"]}"'},
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "in_review"
    assert answered.json()["information_request"] is None
    detail = await open_application(client, underwriter, app["id"])
    assert detail["information_request"]["response"] == "Uploaded both"
    assert detail["audit"][-1]["action"] == "application.information_provided"
    assert detail["audit"][-1]["actor"] == {
        "type": "customer",
        "id": who.customer_id,
        "username": None,
        "roles": [],
    }


async def test_assignment_to_yourself_and_by_a_senior_to_a_colleague(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_member: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    underwriter = await staff_member("underwriter")
    colleague = await staff_member("underwriter")
    senior = await staff_member("senior_underwriter")
    taken = await act(client, underwriter, app["id"], "assign")
    assert taken.status_code == 200, taken.text
    assert taken.json()["assigned_to"]["staff"]["id"] == underwriter.id
    not_mine = await act(client, underwriter, app["id"], "assign", staff_id=colleague.id)
    assert not_mine.status_code == 403
    given = await act(client, senior, app["id"], "assign", staff_id=colleague.id)
    assert given.status_code == 200, given.text
    assignment = given.json()["assigned_to"]
    assert assignment["staff"] == {"id": colleague.id, "username": colleague.username}
    assert assignment["assigned_by"]["id"] == senior.id
    unknown = await act(client, senior, app["id"], "assign", staff_id="no-such-person")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["path"] == "staff_id"
    released = await act(client, colleague, app["id"], "unassign")
    assert released.status_code == 200
    assert released.json()["assigned_to"] is None
    again = await act(client, colleague, app["id"], "unassign")
    assert again.status_code == 409
    actions = [e["action"] for e in released.json()["audit"]]
    assert actions[-3:] == [
        "application.assigned",
        "application.assigned",
        "application.unassigned",
    ]


async def test_notes_are_kept_on_the_file_in_order(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    underwriter = await staff_as("underwriter")
    operations = await staff_as("operations")
    for who, text in ((underwriter, "called the customer"), (operations, "address checked")):
        response = await act(client, who, app["id"], "notes", text=text)
        assert response.status_code == 201, response.text
        assert response.json()["author"]["id"] == who.id
    detail = await open_application(client, underwriter, app["id"])
    assert [n["text"] for n in detail["notes"]] == ["called the customer", "address checked"]
    assert detail["version"] == app["version"], "a note does not change the application"
    assert detail["audit"][-1]["after"]["text"] == "address checked"


async def test_a_stale_version_is_a_conflict_never_a_lost_update(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    underwriter = await staff_as("underwriter")
    seen = app["version"]
    first = await act(client, underwriter, app["id"], "assign", version=seen)
    assert first.status_code == 200
    bodies: dict[str, dict[str, Any]] = {
        "assign": {},
        "unassign": {},
        "approve": {"amount_pence": 50_000, "term_months": 6},
        "decline": {"reason_code": "other", "note": "n"},
        "request-information": {"needed": "payslip"},
        "notes": {"text": "late note"},
    }
    for action, body in bodies.items():
        stale = await act(client, underwriter, app["id"], action, version=seen, **body)
        assert stale.status_code == 409, (action, stale.text)
        assert stale.json()["code"] == "stale_version"
        assert f"not {seen}" in stale.json()["detail"]
    after = await open_application(client, underwriter, app["id"])
    assert after["version"] == seen + 1
    assert after["status"] == "in_review"
    assert after["notes"] == []


async def test_concurrent_decisions_let_exactly_one_win(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_member: StaffFactory,
) -> None:
    import asyncio

    app = await submit_application(await applicant())
    one, two = await staff_member("underwriter"), await staff_member("underwriter")
    approve, decline = await asyncio.gather(
        act(
            client,
            one,
            app["id"],
            "approve",
            version=app["version"],
            amount_pence=50_000,
            term_months=6,
        ),
        act(
            client, two, app["id"], "decline", version=app["version"], reason_code="other", note="x"
        ),
    )
    assert sorted([approve.status_code, decline.status_code]) == [200, 409]
    final = await open_application(client, one, app["id"])
    assert final["version"] == app["version"] + 1
    winner = approve if approve.status_code == 200 else decline
    assert final["status"] == winner.json()["status"]
    decisions = [e for e in final["audit"] if e["action"] != "application.submitted"]
    assert len(decisions) == 1


async def test_the_allowed_actions_offer_assign_and_then_unassign(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    underwriter = await staff_as("underwriter")
    assert "assign" in (await open_application(client, underwriter, app["id"]))["allowed_actions"]
    assigned = await act(client, underwriter, app["id"], "assign")
    assert assigned.status_code == 200, assigned.text
    detail = await open_application(client, underwriter, app["id"])
    assert {"assign", "unassign"} <= set(detail["allowed_actions"])
    for action in detail["allowed_actions"]:
        assert action in {"approve", "assign", "decline", "request_information", "unassign"}
