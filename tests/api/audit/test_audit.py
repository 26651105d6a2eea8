"""The audit log: append-only (no API and no store code edits or deletes an entry), queried by
admins by actor, target, action and time, newest first, page by page; hash-chained, so a change
made in the database behind the API is found by the check; its per-customer keys are stored only
wrapped by KMS."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime, timedelta
from typing import Any

import aioboto3
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from tests.fixtures.servers import REGION
from tests.fixtures.staff import ApplicantFactory, StaffFactory, SubmitFactory, act

from ff_shared.settings import Settings
from ff_shared.stores.mongo import audit as audit_store

Client = AsyncTestClient[Litestar]


def test_no_route_can_change_the_audit_log(app: Litestar) -> None:
    routes = [r for r in app.routes if isinstance(r, HTTPRoute) and "/audit" in r.path]
    assert routes, "the audit route exists"
    methods = {m for r in routes for m in r.methods} - {"HEAD", "OPTIONS"}
    assert methods == {"GET"}


def test_the_audit_store_only_appends_and_reads() -> None:
    public = {
        name
        for name, value in vars(audit_store).items()
        if inspect.iscoroutinefunction(value) and not name.startswith("_")
    }
    assert public == {"append", "query", "verify_chain"}
    tree = ast.parse(inspect.getsource(audit_store))
    on_the_collection = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Call)
        and getattr(node.func.value.func, "id", None) == "_collection"
    }
    assert on_the_collection == {"insert_one", "find"}


async def test_edit_and_delete_requests_on_the_log_are_refused(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    admin = await staff_as("admin")
    page = await client.get("/v1/staff/audit", params={"target": app["id"]}, headers=admin.headers)
    (entry,) = page.json()["items"]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/v1/staff/audit", f"/v1/staff/audit/{entry['id']}"):
            response = await client.request(method, path, json={}, headers=admin.headers)
            assert response.status_code in {404, 405}, (method, path)
    again = await client.get("/v1/staff/audit", params={"target": app["id"]}, headers=admin.headers)
    assert again.json()["items"] == [entry]


async def test_admins_filter_by_actor_target_action_and_time(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_member: StaffFactory,
    staff_as: StaffFactory,
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    underwriter = await staff_member("underwriter")
    apps = [await submit_application(await applicant()) for _ in range(3)]
    for app in apps:
        assert (await act(client, underwriter, app["id"], "assign")).status_code == 200
    await act(client, underwriter, apps[0]["id"], "decline", reason_code="other", note="n")
    admin = await staff_as("admin")

    async def query(**params: Any) -> list[dict[str, Any]]:
        response = await client.get("/v1/staff/audit", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    mine = await query(actor=underwriter.id)
    assert [e["action"] for e in mine] == [
        "application.declined",
        "application.assigned",
        "application.assigned",
        "application.assigned",
    ], "newest first"
    assert all(e["actor"]["username"] == underwriter.username for e in mine)
    assert [e["target"]["id"] for e in await query(target=apps[1]["id"])] == [apps[1]["id"]] * 2
    declined = await query(actor=underwriter.id, action="application.declined")
    assert [e["target"]["id"] for e in declined] == [apps[0]["id"]]
    assert declined[0]["before"]["status"] == "in_review"
    assert declined[0]["after"]["decline"]["note"] == "n"
    assert declined[0]["sealed"] is True
    now = datetime.now(UTC)
    assert len(await query(actor=underwriter.id, **{"from": started.isoformat()})) == 4
    assert (
        await query(actor=underwriter.id, **{"from": (now + timedelta(seconds=5)).isoformat()})
        == []
    )
    assert await query(actor=underwriter.id, to=started.isoformat()) == []
    naive = await client.get(
        "/v1/staff/audit", params={"to": "2026-01-01T00:00:00"}, headers=admin.headers
    )
    assert naive.status_code == 422


async def test_the_log_pages_with_a_cursor(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_member: StaffFactory,
    staff_as: StaffFactory,
) -> None:
    underwriter = await staff_member("underwriter")
    for _ in range(5):
        app = await submit_application(await applicant())
        await act(client, underwriter, app["id"], "assign")
    admin = await staff_as("admin")
    seen: list[str] = []
    params: dict[str, Any] = {"actor": underwriter.id, "limit": 2}
    while True:
        page = (await client.get("/v1/staff/audit", params=params, headers=admin.headers)).json()
        seen.extend(e["id"] for e in page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == 5
    assert seen == sorted(seen, reverse=True)
    bad = await client.get("/v1/staff/audit", params={"cursor": "%%%"}, headers=admin.headers)
    assert bad.status_code == 422


async def _verify(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/v1/staff/audit/verify", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_entry_changed_in_the_database_breaks_the_chain_and_the_check_says_where(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_member: StaffFactory,
    staff_as: StaffFactory,
    mongo_db: Any,
) -> None:
    underwriter = await staff_member("underwriter")
    app = await submit_application(await applicant())
    assert (await act(client, underwriter, app["id"], "assign")).status_code == 200
    admin = await staff_as("admin")
    before = await _verify(client, admin.headers)
    assert before["intact"] is True, before["problems"]
    assert before["entries"] >= 2
    assert before["head_seq"] == before["entries"]
    assigned = await mongo_db.audit_events.find_one(
        {"target.id": app["id"], "action": "application.assigned"}
    )
    assert assigned["seq"] > 1
    assert len(assigned["hash"]) == 64

    await mongo_db.audit_events.update_one(
        {"_id": assigned["_id"]}, {"$set": {"actor.id": "someone-else"}}
    )
    try:
        altered = await _verify(client, admin.headers)
    finally:
        await mongo_db.audit_events.update_one(
            {"_id": assigned["_id"]}, {"$set": {"actor.id": assigned["actor"]["id"]}}
        )
    assert altered["intact"] is False
    assert altered["problems"] == [
        {
            "entry_id": assigned["_id"],
            "seq": assigned["seq"],
            "problem": "the entry was altered after it was written",
        }
    ]

    last = await mongo_db.audit_events.find_one({}, sort=[("seq", -1)])
    await mongo_db.audit_events.delete_one({"_id": last["_id"]})
    try:
        truncated = await _verify(client, admin.headers)
    finally:
        await mongo_db.audit_events.insert_one(last)
    assert truncated["intact"] is False
    assert [p["seq"] for p in truncated["problems"]] == [last["seq"]]
    assert (await _verify(client, admin.headers))["intact"] is True


async def test_customer_data_keys_are_stored_only_wrapped_by_kms(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    mongo_db: Any,
    settings: Settings,
) -> None:
    who = await applicant()
    await submit_application(who)
    stored = await mongo_db.data_keys.find_one({"_id": who.customer_id})
    assert stored is not None, "submitting wrote a sealed audit entry"
    assert set(stored) == {"_id", "wrapped_key", "created_at"}
    session = aioboto3.Session(region_name=REGION)
    async with session.client("kms", endpoint_url=settings.aws.endpoint_url) as kms:
        opened = await kms.decrypt(
            CiphertextBlob=bytes(stored["wrapped_key"]),
            EncryptionContext={"purpose": "audit", "customer_id": who.customer_id},
        )
    key = bytes(opened["Plaintext"])
    assert len(key) == 32
    assert key not in bytes(stored["wrapped_key"])
    raw = await mongo_db.audit_events.find_one(
        {"customer_id": who.customer_id, "sealed": {"$ne": None}}
    )
    assert key not in bytes(raw["sealed"])


async def test_a_key_stored_in_the_clear_before_wrapping_is_wrapped_on_first_use(
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    mongo_db: Any,
) -> None:
    who = await applicant()
    legacy = bytes(range(32))
    await mongo_db.data_keys.insert_one(
        {"_id": who.customer_id, "key": legacy, "created_at": datetime.now(UTC)}
    )
    await submit_application(who)
    stored = await mongo_db.data_keys.find_one({"_id": who.customer_id})
    assert "key" not in stored
    assert legacy not in bytes(stored["wrapped_key"])
