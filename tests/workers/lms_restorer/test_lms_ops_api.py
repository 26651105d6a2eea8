"""The staff ops routes over the catalogue, and the worker carrying out the runs they ask for:
the API catalogues and enqueues, the lms-restorer worker (arq, burst mode) runs the job."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.lms import LmsHarness, MakeLms
from tests.fixtures.loanbook import subject_of
from tests.fixtures.workers import close_worker

from ff_api.app import create_app
from ff_shared.clock import now_utc
from ff_shared.stores.postgres import lms as catalogue
from ff_workers.lms_restorer.worker import WorkerSettings
from ff_workers.runtime import build_worker

NAME = "FULL_AnchorLMS_20261127_013000.sqb"
BASE = "/v1/staff/ops/lms"

Client = AsyncTestClient[Litestar]


def api(lms: LmsHarness) -> AbstractAsyncContextManager[Client]:
    @asynccontextmanager
    async def open_client() -> AsyncIterator[Client]:
        async with AsyncTestClient(app=create_app(lms.settings)) as client:
            yield client

    return open_client()


async def make_ops(make_lms: MakeLms, session_id: str) -> LmsHarness:
    return await make_lms(FF_LMS_QUEUE_NAME=f"ff:test:{session_id}:lms:{uuid.uuid4().hex[:8]}")


async def drain(lms: LmsHarness) -> None:
    """Run the lms-restorer worker until its queue is empty."""
    worker = build_worker(
        WorkerSettings,
        lms.settings,
        queue_name=WorkerSettings.queue_for(lms.settings),
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
    )
    try:
        await worker.main()
    finally:
        await close_worker(worker)


async def test_operations_trigger_a_run_the_worker_carries_out(
    make_lms: MakeLms, session_id: str, staff_token: TokenFactory, mongo_db: Any
) -> None:
    lms = await make_ops(make_lms, session_id)
    lms.publish(NAME)
    headers = bearer(await staff_token("operations"))
    async with api(lms) as client:
        response = await client.post(f"{BASE}/runs", json={"reason": "checking"}, headers=headers)
        assert response.status_code == 202, response.text
        run = response.json()
        assert run["status"] == "queued"
        assert run["requested_by"]

        await drain(lms)

        detail = (await client.get(f"{BASE}/runs/{run['id']}", headers=headers)).json()
        assert detail["status"] == "incomplete"
        assert [s["step"] for s in detail["steps"]] == [
            "fetch",
            "archive_original",
            "convert",
            "archive_converted",
            "restore",
        ]
        assert detail["steps"][-1]["status"] == "not_configured"
        page = (await client.get(f"{BASE}/backups", headers=headers)).json()
        assert [b["file_name"] for b in page["items"]] == [NAME]
        backup = page["items"][0]
        assert {s["step"]: s["status"] for s in backup["steps"]}["convert"] == "succeeded"
        assert backup["database_version"] == 904
        one = (await client.get(f"{BASE}/backups/{backup['id']}", headers=headers)).json()
        assert len(one["history"]) == 5
        runs = (await client.get(f"{BASE}/runs", headers=headers)).json()
        assert [r["id"] for r in runs["items"]] == [run["id"]]
    audit = await mongo_db["audit_events"].find_one(
        {"action": "lms.run_requested", "after.run_id": run["id"]}
    )
    assert audit is not None
    assert audit["actor"]["roles"] == ["operations"]
    assert audit["after"]["reason"] == "checking"
    assert audit["request_id"]


async def test_rerun_of_a_step_not_configured_goes_through_the_worker(
    make_lms: MakeLms, session_id: str, staff_token: TokenFactory
) -> None:
    lms = await make_ops(make_lms, session_id)
    lms.publish(NAME)
    await lms.run()
    backup = await lms.backup(NAME)
    headers = bearer(await staff_token("admin"))
    async with api(lms) as client:
        done = await client.post(f"{BASE}/backups/{backup.id}/steps/fetch/rerun", headers=headers)
        assert done.status_code == 409
        assert done.json()["code"] == "illegal_transition"
        unknown = await client.post(
            f"{BASE}/backups/{backup.id}/steps/dance/rerun", headers=headers
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["path"] == "path.step"
        missing = await client.post(f"{BASE}/backups/nope/steps/fetch/rerun", headers=headers)
        assert missing.status_code == 404
        response = await client.post(
            f"{BASE}/backups/{backup.id}/steps/restore/rerun", headers=headers
        )
        assert response.status_code == 202, response.text
        await drain(lms)
        run = (await client.get(f"{BASE}/runs/{response.json()['id']}", headers=headers)).json()
    assert run["mode"] == "rerun_step"
    assert [(s["step"], s["status"]) for s in run["steps"]] == [("restore", "not_configured")]


async def test_restore_of_a_backup_not_yet_archived_is_refused(
    make_lms: MakeLms, session_id: str, staff_token: TokenFactory
) -> None:
    lms = await make_ops(make_lms, session_id)
    lms.publish(NAME, password="wrong")
    await lms.run()
    backup = await lms.backup(NAME)
    async with api(lms) as client:
        response = await client.post(
            f"{BASE}/backups/{backup.id}/restore", headers=bearer(await staff_token("operations"))
        )
    assert response.status_code == 409
    assert "no archived converted backup" in response.json()["detail"]


async def test_rollback_switches_back_and_is_audited(
    make_lms: MakeLms, session_id: str, staff_token: TokenFactory, mongo_db: Any
) -> None:
    lms = await make_ops(make_lms, session_id)
    headers = bearer(await staff_token("operations"))
    async with api(lms) as client:
        none = await client.post(f"{BASE}/loanbook/rollback", headers=headers)
        assert none.status_code == 409
        async with lms.clients.pg.acquire() as conn:
            for name in ("loanbook_a", "loanbook_b"):
                await catalogue.switch_loanbook(
                    conn, to_database=name, actor="lms-restorer", run_id=None, now=now_utc()
                )
        before = (await client.get(f"{BASE}/loanbook", headers=headers)).json()
        assert (before["current_database"], before["previous_database"]) == (
            "loanbook_b",
            "loanbook_a",
        )
        response = await client.post(
            f"{BASE}/loanbook/rollback", json={"reason": "bad balances"}, headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["current_database"] == "loanbook_a"
        again = await client.post(f"{BASE}/loanbook/rollback", headers=headers)
        assert again.status_code == 409
    entry = await mongo_db["audit_events"].find_one(
        {"action": "lms.loanbook_rolled_back", "target.id": "loanbook_a"}
    )
    assert entry is not None
    assert entry["before"] == {"current_database": "loanbook_b"}


async def test_only_operations_and_admin_may_use_the_ops_routes(
    make_lms: MakeLms, session_id: str, staff_token: TokenFactory
) -> None:
    lms = await make_ops(make_lms, session_id)
    async with api(lms) as client:
        for role in ("analyst", "underwriter", "senior_underwriter"):
            response = await client.get(f"{BASE}/backups", headers=bearer(await staff_token(role)))
            assert response.status_code == 403, role
        assert (await client.post(f"{BASE}/runs")).status_code == 401
        bad = await client.post(
            f"{BASE}/runs",
            json={"reason": "x", "force": True},
            headers=bearer(await staff_token("admin")),
        )
        assert bad.status_code in (400, 422)
        async with lms.clients.pg.acquire() as conn:
            assert await conn.fetchval("select count(*) from lms.runs") == 0


async def test_the_customer_api_reads_the_loan_book_the_pointer_names(
    make_lms: MakeLms, session_id: str, customer_token: TokenFactory
) -> None:
    lms = await make_ops(make_lms, session_id)
    token = await customer_token()
    restored = await lms.make_restored_database(
        f"{lms.prefix}_20261127_013000", customer_ids=[subject_of(token)]
    )
    async with lms.clients.pg.acquire() as conn:
        await catalogue.switch_loanbook(
            conn, to_database=restored, actor="lms-restorer", run_id=None, now=now_utc()
        )

    async with api(lms) as client:
        response = await client.get("/v1/loans", headers=bearer(token))

    assert response.status_code == 200, response.text
    loans = response.json()
    items = loans["items"] if isinstance(loans, dict) else loans
    assert len(items) == 2
