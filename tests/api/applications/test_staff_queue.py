"""The review queue: filters, sort, counts and cursor pages that stay put while work arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.staff import (
    Applicant,
    ApplicantFactory,
    StaffFactory,
    StaffMember,
    SubmitFactory,
    act,
)

Client = AsyncTestClient[Litestar]


async def _page(client: Client, staff: StaffMember, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/staff/applications", params=params, headers=staff.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _all(client: Client, staff: StaffMember, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = await _page(client, staff, **params)
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


async def test_free_text_finds_by_name_email_and_reference(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    staff = await staff_as("underwriter")
    first, last = who.personal["first_name"], who.personal["last_name"]
    for q in (
        last,
        last.upper(),
        f"{first} {last}",
        who.personal["email"],
        app["reference"],
        app["reference"].lower(),
    ):
        items = (await _page(client, staff, q=q))["items"]
        assert [i["id"] for i in items] == [app["id"]], q
    item = (await _page(client, staff, q=last))["items"][0]
    assert item["applicant_name"] == f"{first} {last}"
    assert item["email"] == who.personal["email"]
    assert item["amount_pence"] == 100_000
    assert item["outcome"] == "approve"
    assert (await _page(client, staff, q=f"{first} Nobody"))["items"] == []
    assert (await _page(client, staff, q=".*"))["items"] == [], "text is not a pattern"


async def _batch(
    client: Client, applicant: ApplicantFactory, submit: SubmitFactory, amounts: list[int]
) -> tuple[Applicant, list[dict[str, Any]]]:
    """Applications of one customer, found later by the customer's unique last name."""
    who = await applicant()
    apps = [await submit(who, loan={"amount_pence": amount}) for amount in amounts]
    return who, apps


async def test_filters_by_status_outcome_assignee_amount_and_time(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_member: StaffFactory,
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    who, apps = await _batch(
        client, applicant, submit_application, [50_000, 100_000, 120_000, 140_000]
    )
    declined = await submit_application(who, declarations={"insolvency": "iva"})
    staff = await staff_member("underwriter")
    assert (await act(client, staff, apps[0]["id"], "assign")).status_code == 200
    assert (
        await act(client, staff, apps[1]["id"], "approve", amount_pence=100_000, term_months=12)
    ).status_code == 200
    last = who.personal["last_name"]

    def ids(items: list[dict[str, Any]]) -> set[str]:
        return {i["id"] for i in items}

    assert ids(await _all(client, staff, q=last)) == {a["id"] for a in apps} | {declined["id"]}
    assert ids(await _all(client, staff, q=last, status="offered")) == {apps[1]["id"]}
    both = await _all(client, staff, q=last, status=["offered", "declined"])
    assert ids(both) == {apps[1]["id"], declined["id"]}
    assert ids(await _all(client, staff, q=last, outcome="decline")) == {declined["id"]}
    assert ids(await _all(client, staff, q=last, assigned_to="me")) == {apps[0]["id"]}
    assert ids(await _all(client, staff, q=last, assigned_to=staff.id)) == {apps[0]["id"]}
    assert apps[0]["id"] not in ids(await _all(client, staff, q=last, assigned_to="none"))
    ranged = await _all(client, staff, q=last, min_amount_pence=100_000, max_amount_pence=130_000)
    assert ids(ranged) == {apps[1]["id"], apps[2]["id"], declined["id"]}
    after = datetime.now(UTC) + timedelta(seconds=1)
    window = {"submitted_from": before.isoformat(), "submitted_to": after.isoformat()}
    assert len(await _all(client, staff, q=last, **window)) == 5
    assert await _all(client, staff, q=last, submitted_from=after.isoformat()) == []
    naive = await client.get(
        "/v1/staff/applications",
        params={"submitted_from": "2026-01-01T00:00:00"},
        headers=staff.headers,
    )
    assert naive.status_code == 422
    draft = await client.get(
        "/v1/staff/applications", params={"status": "draft"}, headers=staff.headers
    )
    assert draft.status_code == 422


async def test_sorting_by_amount_and_submission_both_ways(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who, apps = await _batch(client, applicant, submit_application, [120_000, 50_000, 90_000])
    staff = await staff_as("underwriter")
    q = who.personal["last_name"]
    oldest_first = [i["id"] for i in await _all(client, staff, q=q, limit=1)]
    assert oldest_first == [a["id"] for a in apps]
    newest_first = [i["id"] for i in await _all(client, staff, q=q, sort="-submitted_at", limit=2)]
    assert newest_first == [a["id"] for a in reversed(apps)]
    by_amount = [i["amount_pence"] for i in await _all(client, staff, q=q, sort="amount", limit=2)]
    assert by_amount == [50_000, 90_000, 120_000]
    largest = [i["amount_pence"] for i in await _all(client, staff, q=q, sort="-amount", limit=1)]
    assert largest == [120_000, 90_000, 50_000]


async def test_pages_stay_stable_while_new_applications_arrive(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who, apps = await _batch(
        client, applicant, submit_application, [50_000, 60_000, 70_000, 80_000]
    )
    staff = await staff_as("underwriter")
    q = who.personal["last_name"]
    for sort in ("submitted_at", "-submitted_at"):
        ids = [a["id"] for a in apps]
        expected = ids if sort == "submitted_at" else ids[::-1]
        first = await _page(client, staff, q=q, sort=sort, limit=2)
        seen = [i["id"] for i in first["items"]]
        arrived = await submit_application(who, loan={"amount_pence": 55_000})
        rest = await _all(client, staff, q=q, sort=sort, limit=2, cursor=first["next_cursor"])
        seen += [i["id"] for i in rest]
        if sort == "submitted_at":
            assert seen == [*expected, arrived["id"]], "new work joins the end"
        else:
            assert seen == expected, "new work does not shift or repeat older pages"
        apps.append(arrived)


async def test_a_cursor_only_works_for_its_own_sort(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who, _ = await _batch(client, applicant, submit_application, [50_000, 60_000])
    staff = await staff_as("underwriter")
    first = await _page(client, staff, q=who.personal["last_name"], limit=1)
    for params in (
        {"cursor": first["next_cursor"], "sort": "amount"},
        {"cursor": "not-a-cursor"},
        {"cursor": "eyJzIjoiYW1vdW50In0"},
    ):
        response = await client.get("/v1/staff/applications", params=params, headers=staff.headers)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["path"] == "cursor"
    too_many = await client.get(
        "/v1/staff/applications", params={"limit": 1000}, headers=staff.headers
    )
    assert too_many.status_code == 422


async def test_counts_per_status_follow_the_other_filters(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who, apps = await _batch(client, applicant, submit_application, [50_000, 60_000, 70_000])
    await submit_application(who, declarations={"insolvency": "bankruptcy"})
    staff = await staff_as("underwriter")
    await act(client, staff, apps[0]["id"], "request-information", needed="payslip")
    response = await client.get(
        "/v1/staff/applications/counts",
        params={"q": who.personal["last_name"]},
        headers=staff.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"]["in_review"] == 2
    assert body["counts"]["information_requested"] == 1
    assert body["counts"]["declined"] == 1
    assert body["counts"]["offered"] == 0
    assert "draft" not in body["counts"]
    assert body["total"] == 4
    everyone = (await client.get("/v1/staff/applications/counts", headers=staff.headers)).json()
    assert everyone["total"] >= 4
