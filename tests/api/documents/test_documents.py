"""Documents against moto's S3: presigned upload (a real HTTP PUT, and a browser-form POST),
confirmation that checks what arrived, expiring downloads, and nobody else's papers."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.staff import (
    Applicant,
    ApplicantFactory,
    StaffFactory,
    SubmitFactory,
    open_application,
)

from ff_shared.settings import Settings

Client = AsyncTestClient[Litestar]

PDF = b"%PDF-1.4\n" + b"payslip " * 300 + b"\n%%EOF\n"
# Files of the same length with the other allowed types' signatures.
PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00" * len(PDF))[: len(PDF)]
JPEG = (b"\xff\xd8\xff\xe0" + b"\x00" * len(PDF))[: len(PDF)]


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def _ask(
    client: Client, who: Applicant, app_id: str, *, method: str = "put", **overrides: Any
) -> Any:
    body = {
        "application_id": app_id,
        "kind": "payslip",
        "content_type": "application/pdf",
        "size_bytes": len(PDF),
        "upload_method": method,
        **overrides,
    }
    return await client.post("/v1/documents", json=body, headers=who.headers)


async def _put(http: aiohttp.ClientSession, upload: dict[str, Any], data: bytes) -> int:
    async with http.put(upload["url"], data=data, headers=upload["headers"]) as response:
        return response.status


async def test_a_presigned_put_upload_is_confirmed_and_downloadable(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
    settings: Settings,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    created = await _ask(client, who, app["id"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "pending"
    upload = body["upload"]
    assert upload["method"] == "PUT"
    assert upload["headers"] == {"Content-Type": "application/pdf", "Content-Length": str(len(PDF))}
    query = parse_qs(urlparse(upload["url"]).query)
    assert query["X-Amz-Expires"] == [str(settings.documents.upload_expires_seconds)]
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]
    assert who.customer_id in urlparse(upload["url"]).path
    assert who.personal["last_name"] not in upload["url"]

    pending = await client.get(f"/v1/documents/{body['id']}", headers=who.headers)
    assert pending.json()["status"] == "pending"
    assert pending.json()["download_url"] is None

    assert await _put(http, upload, PDF) == 200
    confirmed = await client.post(f"/v1/documents/{body['id']}/confirm", headers=who.headers)
    assert confirmed.status_code == 200, confirmed.text
    view = confirmed.json()
    assert view["status"] == "available"
    assert view["confirmed_at"] is not None
    download = urlparse(view["download_url"])
    assert parse_qs(download.query)["X-Amz-Expires"] == [
        str(settings.documents.download_expires_seconds)
    ]
    async with http.get(view["download_url"]) as response:
        assert response.status == 200
        assert await response.read() == PDF

    again = await client.post(f"/v1/documents/{body['id']}/confirm", headers=who.headers)
    assert again.status_code == 200
    assert again.json()["status"] == "available"
    listed = await client.get(
        "/v1/documents", params={"application_id": app["id"]}, headers=who.headers
    )
    assert [d["id"] for d in listed.json()] == [body["id"]]
    detail = await open_application(client, await staff_as("underwriter"), app["id"])
    assert [d["id"] for d in detail["documents"]] == [body["id"]]
    assert detail["documents"][0]["status"] == "available"


async def test_a_browser_form_upload_carries_a_policy_pinning_type_and_size(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    created = await _ask(client, who, app["id"], method="post", content_type="image/png")
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    assert upload["method"] == "POST"
    fields = upload["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", len(PDF), len(PDF)] in conditions
    assert {"key": fields["key"]} in conditions
    assert fields["key"].startswith(f"documents/{who.customer_id}/")

    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("file", PNG, filename="scan.png", content_type="image/png")
    async with http.post(upload["url"], data=form) as response:
        assert response.status in {200, 201, 204}
    confirmed = await client.post(
        f"/v1/documents/{created.json()['id']}/confirm", headers=who.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "available"


async def test_confirming_before_the_upload_keeps_it_pending(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    created = (await _ask(client, who, app["id"])).json()
    early = await client.post(f"/v1/documents/{created['id']}/confirm", headers=who.headers)
    assert early.status_code == 409
    assert early.json()["code"] == "upload_not_found"
    still = await client.get(f"/v1/documents/{created['id']}", headers=who.headers)
    assert still.json()["status"] == "pending"


async def test_an_upload_that_is_not_what_was_declared_is_rejected_and_deleted(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    created = (await _ask(client, who, app["id"])).json()
    upload = created["upload"]
    # Real S3 refuses this PUT (the signature covers type and length); moto does not check
    # signatures, which lets this test show the API's own check behind it.
    bigger = PDF + b"extra"
    async with http.put(
        upload["url"],
        data=bigger,
        headers={"Content-Type": "text/html", "Content-Length": str(len(bigger))},
    ) as response:
        assert response.status == 200
    rejected = await client.post(f"/v1/documents/{created['id']}/confirm", headers=who.headers)
    assert rejected.status_code == 409
    assert rejected.json()["code"] == "upload_rejected"
    assert "not the" in rejected.json()["detail"]
    view = (await client.get(f"/v1/documents/{created['id']}", headers=who.headers)).json()
    assert view["status"] == "rejected"
    assert view["download_url"] is None
    async with http.put(upload["url"], data=PDF, headers=upload["headers"]) as response:
        assert response.status == 200
    once_rejected = await client.post(f"/v1/documents/{created['id']}/confirm", headers=who.headers)
    assert once_rejected.status_code == 409, "a rejected document stays rejected"


async def test_a_file_whose_content_is_not_the_declared_type_is_rejected(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    created = (await _ask(client, who, app["id"])).json()
    # Declared and sent as a PDF, of the declared size: the bytes are a PNG's.
    assert await _put(http, created["upload"], PNG) == 200
    rejected = await client.post(f"/v1/documents/{created['id']}/confirm", headers=who.headers)
    assert rejected.status_code == 409, rejected.text
    assert rejected.json()["code"] == "upload_rejected"
    assert "application/pdf" in rejected.json()["detail"]


async def test_a_confirmed_file_cannot_be_swapped_through_its_upload_url(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    created = (await _ask(client, who, app["id"])).json()
    upload = created["upload"]
    assert await _put(http, upload, PDF) == 200
    confirmed = await client.post(f"/v1/documents/{created['id']}/confirm", headers=who.headers)
    assert confirmed.status_code == 200, confirmed.text
    # The upload URL is still within its lifetime: a second file sent to it lands nowhere
    # that is served.
    swapped = b"%PDF-1.4\n" + b"forgery " * 300 + b"\n%%EOF\n"
    assert len(swapped) == len(PDF)
    assert await _put(http, upload, swapped) == 200
    again = await client.post(f"/v1/documents/{created['id']}/confirm", headers=who.headers)
    assert again.status_code == 200
    view = (await client.get(f"/v1/documents/{created['id']}", headers=who.headers)).json()
    assert f"/confirmed/{who.customer_id}/" in urlparse(view["download_url"]).path
    async with http.get(view["download_url"]) as response:
        assert await response.read() == PDF


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"content_type": "text/html"}, "content_type"),
        ({"content_type": "application/x-msdownload"}, "content_type"),
        ({"size_bytes": 10 * 1024 * 1024 + 1}, "size_bytes"),
        ({"size_bytes": 0}, "size_bytes"),
        ({"kind": "selfie"}, "kind"),
    ],
)
async def test_uploads_of_the_wrong_type_or_size_are_refused(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
    overrides: dict[str, Any],
    path: str,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    response = await _ask(client, who, app["id"], **overrides)
    assert response.status_code == 422, response.text
    assert path in [e["path"] for e in response.json()["errors"]]


async def test_another_customers_documents_do_not_exist_for_you(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
) -> None:
    owner = await applicant()
    app = await submit_application(owner)
    created = (await _ask(client, owner, app["id"])).json()
    assert await _put(http, created["upload"], PDF) == 200
    intruder = await applicant()
    assert (await _ask(client, intruder, app["id"])).status_code == 404
    for response in (
        await client.get(f"/v1/documents/{created['id']}", headers=intruder.headers),
        await client.post(f"/v1/documents/{created['id']}/confirm", headers=intruder.headers),
        await client.get(
            "/v1/documents", params={"application_id": app["id"]}, headers=intruder.headers
        ),
    ):
        assert response.status_code == 404
    mine = await client.get(f"/v1/documents/{created['id']}", headers=owner.headers)
    assert mine.json()["status"] == "pending", "the intruder's confirm changed nothing"


async def test_staff_upload_to_a_customer_file_and_every_download_is_audited(
    client: Client,
    http: aiohttp.ClientSession,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    documents_bucket: str,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    operations = await staff_as("operations")
    created = await client.post(
        "/v1/staff/documents",
        json={
            "application_id": app["id"],
            "kind": "proof_of_address",
            "content_type": "image/jpeg",
            "size_bytes": len(PDF),
            "upload_method": "put",
        },
        headers=operations.headers,
    )
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    assert await _put(http, upload, JPEG) == 200
    document_id = created.json()["id"]
    confirmed = await client.post(
        f"/v1/staff/documents/{document_id}/confirm", headers=operations.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["document"]["uploaded_by"] == {
        "type": "staff",
        "id": operations.id,
        "username": operations.username,
    }
    underwriter = await staff_as("underwriter")
    opened = await client.get(f"/v1/staff/documents/{document_id}", headers=underwriter.headers)
    async with http.get(opened.json()["download_url"]) as response:
        assert await response.read() == JPEG
    customer_view = await client.get(f"/v1/documents/{document_id}", headers=who.headers)
    assert customer_view.json()["kind"] == "proof_of_address"
    admin = await staff_as("admin")
    trail = await client.get(
        "/v1/staff/audit", params={"target": document_id}, headers=admin.headers
    )
    actions = [(e["action"], e["actor"]["id"]) for e in reversed(trail.json()["items"])]
    assert actions == [
        ("document.upload_requested", operations.id),
        ("document.confirmed", operations.id),
        ("document.download_issued", underwriter.id),
    ]
    neither = await client.post(
        "/v1/staff/documents",
        json={"kind": "other", "content_type": "application/pdf", "size_bytes": 10},
        headers=operations.headers,
    )
    assert neither.status_code == 422
