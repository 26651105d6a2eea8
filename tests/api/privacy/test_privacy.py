"""Data-protection requests: subject-access export, and erasure that leaves no personal field of
the customer anywhere in MongoDB except what a loan record must keep (and says so)."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import aioboto3
import aiohttp
import pytest
from botocore.exceptions import ClientError
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.servers import REGION
from tests.fixtures.staff import (
    Applicant,
    ApplicantFactory,
    StaffFactory,
    StaffMember,
    SubmitFactory,
    act,
    open_application,
)

from ff_shared.settings import Settings

Client = AsyncTestClient[Litestar]

PDF = b"%PDF-1.4\nstatement\n%%EOF\n"


async def _upload(
    client: Client, http: aiohttp.ClientSession, who: Applicant, app_id: str
) -> dict[str, Any]:
    created = await client.post(
        "/v1/documents",
        json={
            "application_id": app_id,
            "kind": "bank_statement",
            "content_type": "application/pdf",
            "size_bytes": len(PDF),
            "upload_method": "put",
        },
        headers=who.headers,
    )
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    async with http.put(upload["url"], data=PDF, headers=upload["headers"]) as response:
        assert response.status == 200
    confirmed = await client.post(
        f"/v1/documents/{created.json()['id']}/confirm", headers=who.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    body: dict[str, Any] = confirmed.json()
    return body


async def _profile_version(client: Client, staff: StaffMember, customer_id: str) -> int:
    view = await client.get(f"/v1/staff/customers/{customer_id}", headers=staff.headers)
    version: int = view.json()["version"]
    return version


async def _file_with_everything(
    client: Client,
    http: aiohttp.ClientSession,
    who: Applicant,
    submit: SubmitFactory,
    staff_as: StaffFactory,
    markers: list[str],
) -> dict[str, Any]:
    """An application with a document, notes, a request for information with the customer's
    answer, and a profile edit: personal data in every collection the platform writes."""
    app = await submit(who)
    underwriter = await staff_as("underwriter")
    operations = await staff_as("operations")
    await _upload(client, http, who, app["id"])
    note, needed, answer, mobile = markers
    assert (await act(client, underwriter, app["id"], "notes", text=note)).status_code == 201
    asked = await act(client, underwriter, app["id"], "request-information", needed=needed)
    assert asked.status_code == 200
    answered = await client.post(
        f"/v1/applications/{app['id']}/information", json={"message": answer}, headers=who.headers
    )
    assert answered.status_code == 200, answered.text
    edit = await client.patch(
        f"/v1/staff/customers/{who.customer_id}",
        json={
            "version": await _profile_version(client, operations, who.customer_id),
            "mobile": mobile,
            "preferred_name": who.personal["first_name"],
        },
        headers=operations.headers,
    )
    assert edit.status_code == 200, edit.text
    return app


def _markers() -> list[str]:
    tag = uuid.uuid4().hex[:10]
    return [
        f"note-{tag} lives with her sister",
        f"needed-{tag} letter from the council",
        f"answer-{tag} my landlord wrote it",
        f"07{random.randint(100, 999)} {random.randint(100000, 999999)}",
    ]


async def _leaks(mongo_db: Any, values: list[str]) -> list[tuple[str, str]]:
    """Every (collection, value) where a value still appears, in any field of any document."""
    found: list[tuple[str, str]] = []
    for name in await mongo_db.list_collection_names():
        async for document in mongo_db[name].find({}):
            text = json.dumps(document, default=str, ensure_ascii=False)
            found.extend((name, v) for v in values if v in text)
    return found


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_subject_access_exports_everything_held_as_one_document(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
    documents_bucket: str,
) -> None:
    who = await applicant()
    markers = _markers()
    app = await _file_with_everything(client, http, who, submit_application, staff_as, markers)
    operations = await staff_as("operations")
    response = await client.get(
        f"/v1/staff/customers/{who.customer_id}/export", headers=operations.headers
    )
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    export = response.json()
    assert export["format"] == "fairfinance.subject-access/1"
    assert export["customer_id"] == who.customer_id
    assert export["profile"]["email"] == who.login
    assert export["profile"]["mobile"] == markers[3]
    (application,) = export["applications"]
    assert application["id"] == app["id"]
    assert application["steps"]["personal"] == who.personal
    assert application["steps"]["bank"] == who.bank
    assert application["decision"]["trace"]
    assert application["information_request"]["response"] == markers[2]
    assert [d["kind"] for d in export["documents"]] == ["bank_statement"]
    [link] = export["document_links"]
    assert link["url"].startswith("http")
    assert "Signature" in link["url"]
    [decision] = export["decisions"]
    assert decision["outcome"] == application["decision"]["outcome"]
    assert decision["reasons"] == application["decision"]["reasons"]
    assert [n["text"] for n in export["notes"]] == [markers[0]]
    actions = [e["action"] for e in export["audit"]]
    assert {"application.submitted", "document.confirmed", "customer.updated"} <= set(actions)
    edit = next(e for e in export["audit"] if e["action"] == "customer.updated")
    assert edit["after"]["mobile"] == markers[3], "sealed values are opened for the export"
    admin = await staff_as("admin")
    logged = await client.get(
        "/v1/staff/audit",
        params={"target": who.customer_id, "action": "customer.exported"},
        headers=admin.headers,
    )
    assert [e["actor"]["id"] for e in logged.json()["items"]] == [operations.id]


async def test_erasure_leaves_no_personal_field_of_the_customer_in_mongodb(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
    documents_bucket: str,
    mongo_db: Any,
    cognito_client: Any,
    customer_pool: Any,
    settings: Settings,
) -> None:
    who = await applicant()
    who.personal["date_of_birth"] = "1958-12-27"
    markers = _markers()
    app = await _file_with_everything(client, http, who, submit_application, staff_as, markers)
    declined = await submit_application(who, declarations={"insolvency": "iva"})
    draft = (await client.post("/v1/applications", headers=who.headers)).json()
    personal = [*who.identifying_values(), *markers]
    assert await _leaks(mongo_db, personal), "the scan sees the data before erasure"
    documents = (
        await client.get(
            f"/v1/staff/customers/{who.customer_id}", headers=(await staff_as("admin")).headers
        )
    ).json()["documents"]
    admin = await staff_as("admin")

    response = await client.post(
        f"/v1/staff/customers/{who.customer_id}/erase",
        json={"version": await _profile_version(client, admin, who.customer_id)},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["applications_anonymised"] == 3
    assert report["applications_withdrawn"] == 2, "the open application and the draft"
    assert report["documents_deleted"] == 1
    assert report["notes_erased"] == 1
    assert report["identity_deleted"] is True
    assert report["audit_key_destroyed"] is True
    assert [r["where"] for r in report["retained"]] == ["audit_events"]

    assert await _leaks(mongo_db, personal) == []

    statuses = {
        a["_id"]: a["status"]
        async for a in mongo_db.applications.find({"customer_id": who.customer_id})
    }
    assert statuses == {
        app["id"]: "withdrawn",
        declined["id"]: "declined",
        draft["id"]: "withdrawn",
    }
    session = aioboto3.Session(region_name=REGION)
    async with session.client("s3", endpoint_url=settings.aws.endpoint_url) as s3:
        with pytest.raises(ClientError):
            await s3.head_object(
                Bucket=documents_bucket,
                Key=f"confirmed/{who.customer_id}/{documents[0]['id']}",
            )
    with pytest.raises(cognito_client.exceptions.UserNotFoundException):
        await cognito_client.admin_get_user(UserPoolId=customer_pool.pool_id, Username=who.login)

    trail = await client.get(
        "/v1/staff/audit", params={"target": who.customer_id}, headers=admin.headers
    )
    entries = {e["action"]: e for e in trail.json()["items"]}
    assert entries["customer.updated"]["erased"] is True
    assert entries["customer.updated"]["before"] is None
    assert entries["customer.erased"]["actor"]["id"] == admin.id
    assert entries["customer.erased"]["after"]["documents_deleted"] == 1
    detail = await open_application(client, admin, app["id"])
    assert detail["status"] == "withdrawn"
    assert detail["erased_at"] is not None
    assert detail["steps"] == {}
    assert detail["notes"][0]["text"] == "[erased]"


async def test_erasure_keeps_the_regulated_loan_record_and_lists_it(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
    documents_bucket: str,
    mongo_db: Any,
    settings: Settings,
) -> None:
    who = await applicant()
    who.personal["date_of_birth"] = "1957-11-26"
    app = await submit_application(who)
    document = await _upload(client, http, who, app["id"])
    underwriter = await staff_as("underwriter")
    offered = await act(
        client, underwriter, app["id"], "approve", amount_pence=90_000, term_months=12
    )
    assert offered.status_code == 200
    accepted = await client.post(f"/v1/applications/{app['id']}/offer/accept", headers=who.headers)
    assert accepted.status_code == 200
    admin = await staff_as("admin")
    response = await client.post(
        f"/v1/staff/customers/{who.customer_id}/erase",
        json={"version": await _profile_version(client, admin, who.customer_id)},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    retained = {r["where"]: r for r in report["retained"]}
    loan = retained[f"applications/{app['id']}"]
    assert "offer" in loan["fields"]
    assert "CONC" in loan["reason"]
    key = f"confirmed/{who.customer_id}/{document['id']}"
    assert f"s3://{documents_bucket}/{key}" in retained
    assert "Money Laundering" in retained[f"s3://{documents_bucket}/{key}"]["reason"]
    assert report["documents_deleted"] == 0
    assert report["applications_withdrawn"] == 0

    assert await _leaks(mongo_db, who.identifying_values()) == []
    kept = await mongo_db.applications.find_one({"_id": app["id"]})
    assert kept["status"] == "accepted"
    assert kept["offer"]["offer"]["amount_pence"] == 90_000
    assert kept["decision"]["trace"]
    assert kept["steps"]["loan"]["amount_pence"] == 100_000
    assert kept["steps"]["employment"]["net_monthly_income_pence"] == 185_000
    assert "bank" not in kept["steps"]
    session = aioboto3.Session(region_name=REGION)
    async with session.client("s3", endpoint_url=settings.aws.endpoint_url) as s3:
        stored = await s3.head_object(Bucket=documents_bucket, Key=key)
        assert stored["ContentLength"] == len(PDF)


async def test_erasure_is_safe_to_repeat_and_ends_edits(
    client: Client, applicant: ApplicantFactory, staff_as: StaffFactory
) -> None:
    who = await applicant()
    admin = await staff_as("admin")
    version = await _profile_version(client, admin, who.customer_id)
    stale = await client.post(
        f"/v1/staff/customers/{who.customer_id}/erase",
        json={"version": version + 5},
        headers=admin.headers,
    )
    assert stale.status_code == 409
    first = await client.post(
        f"/v1/staff/customers/{who.customer_id}/erase",
        json={"version": version},
        headers=admin.headers,
    )
    assert first.status_code == 200, first.text
    again = await client.post(
        f"/v1/staff/customers/{who.customer_id}/erase",
        json={"version": version},
        headers=admin.headers,
    )
    assert again.status_code == 200, again.text
    assert again.json()["erased_at"] == first.json()["erased_at"]
    operations = await staff_as("operations")
    erased_version = await _profile_version(client, operations, who.customer_id)
    edit = await client.patch(
        f"/v1/staff/customers/{who.customer_id}",
        json={"version": erased_version, "mobile": "07700 900555"},
        headers=operations.headers,
    )
    assert edit.status_code == 409
    assert edit.json()["code"] == "customer_erased"
    view = (
        await client.get(f"/v1/staff/customers/{who.customer_id}", headers=operations.headers)
    ).json()
    assert view["email"] is None
    assert view["erased_at"] is not None
