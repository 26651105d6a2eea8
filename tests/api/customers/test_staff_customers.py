"""Customers for staff: search the way people type, the customer view, audited edits, notes."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.staff import ApplicantFactory, StaffFactory, StaffMember, SubmitFactory

Client = AsyncTestClient[Litestar]


async def _search(client: Client, staff: StaffMember, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/staff/customers", params=params, headers=staff.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_search_by_name_email_phone_postcode_and_reference(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    staff = await staff_as("operations")
    mobile_digits = who.personal["mobile"].replace(" ", "")
    postcode = who.address["postcode"]
    queries = [
        who.personal["last_name"],
        f"{who.personal['first_name'].lower()} {who.personal['last_name'].lower()}",
        who.personal["email"].upper(),
        who.login,
        mobile_digits,
        "+44 " + mobile_digits[1:],
        who.personal["mobile"],
        postcode.replace(" ", "").lower(),
        postcode,
        who.address["previous_addresses"][0]["postcode"],
        app["reference"],
    ]
    for q in queries:
        items = (await _search(client, staff, q=q))["items"]
        assert [i["id"] for i in items] == [who.customer_id], q
    item = (await _search(client, staff, q=app["reference"]))["items"][0]
    assert item["name"] == f"{who.personal['first_name']} {who.personal['last_name']}"
    assert item["postcode"] == postcode
    assert item["references"] == [app["reference"]]
    assert (await _search(client, staff, q="Zzzz Nobody-at-all"))["items"] == []


async def test_search_pages_through_customers(
    client: Client, applicant: ApplicantFactory, staff_as: StaffFactory
) -> None:
    for _ in range(3):
        await applicant()
    staff = await staff_as("underwriter")
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await _search(client, staff, **params)
        seen.extend(i["id"] for i in page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen)) >= 3
    assert seen == sorted(seen)


async def test_the_customer_view_gathers_profile_identity_applications_and_notes(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    first = await submit_application(who)
    second = await submit_application(who, loan={"amount_pence": 60_000})
    staff = await staff_as("underwriter")
    view = await client.get(f"/v1/staff/customers/{who.customer_id}", headers=staff.headers)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["email"] == who.login
    assert body["identity"]["last_name"] == who.personal["last_name"]
    assert body["identity"]["date_of_birth"] == who.personal["date_of_birth"]
    assert body["identity"]["address"]["postcode"] == who.address["postcode"]
    assert [a["id"] for a in body["applications"]] == [first["id"], second["id"]]
    assert body["applications"][1]["amount_pence"] == 60_000
    note = await client.post(
        f"/v1/staff/customers/{who.customer_id}/notes",
        json={"version": body["version"], "text": "prefers calls after 5pm"},
        headers=staff.headers,
    )
    assert note.status_code == 201, note.text
    again = (
        await client.get(f"/v1/staff/customers/{who.customer_id}", headers=staff.headers)
    ).json()
    assert [n["text"] for n in again["notes"]] == ["prefers calls after 5pm"]
    missing = await client.get("/v1/staff/customers/no-such-customer", headers=staff.headers)
    assert missing.status_code == 404


async def test_operations_edit_a_profile_audited_with_before_and_after(
    client: Client, applicant: ApplicantFactory, staff_as: StaffFactory
) -> None:
    who = await applicant()
    operations = await staff_as("operations")
    view = (
        await client.get(f"/v1/staff/customers/{who.customer_id}", headers=operations.headers)
    ).json()
    response = await client.patch(
        f"/v1/staff/customers/{who.customer_id}",
        json={"version": view["version"], "mobile": "07700 900999", "preferred_name": "Zed"},
        headers=operations.headers,
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["mobile"] == "07700 900999"
    assert edited["preferred_name"] == "Zed"
    assert edited["version"] == view["version"] + 1
    me = (await client.get("/v1/me", headers=who.headers)).json()
    assert me["mobile"] == "07700 900999", "the customer sees the correction"

    admin = await staff_as("admin")
    trail = await client.get(
        "/v1/staff/audit",
        params={"target": who.customer_id, "action": "customer.updated"},
        headers=admin.headers,
    )
    (entry,) = trail.json()["items"]
    assert entry["actor"]["id"] == operations.id
    assert entry["actor"]["roles"] == ["operations"]
    assert entry["before"] == {"mobile": None, "preferred_name": None}
    assert entry["after"] == {"mobile": "07700 900999", "preferred_name": "Zed"}
    assert entry["sealed"] is True

    stale = await client.patch(
        f"/v1/staff/customers/{who.customer_id}",
        json={"version": view["version"], "mobile": "07700 900111"},
        headers=operations.headers,
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    bad = await client.patch(
        f"/v1/staff/customers/{who.customer_id}",
        json={"version": edited["version"], "mobile": "12345", "shoe_size": 9},
        headers=operations.headers,
    )
    assert bad.status_code == 422
    final = (
        await client.get(f"/v1/staff/customers/{who.customer_id}", headers=operations.headers)
    ).json()
    assert final["mobile"] == "07700 900999"
    assert final["version"] == edited["version"]
