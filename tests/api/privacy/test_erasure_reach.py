"""Erasure beyond MongoDB: the open-banking archive (deleted, or kept with a date where a loan was
made on it), the journey tracker's identity hashes, the retention register and the retention
job that deletes what was kept once its date comes; writes refused to an erased customer and to
staff disabled in Cognito; and the subject-access export's loans, archive and decisions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.loanbook import customer_with_loans
from tests.fixtures.staff import ApplicantFactory, StaffFactory, SubmitFactory, act

from ff_shared.settings import Settings
from ff_shared.stores.postgres.migrations import apply_migrations
from ff_workers.core.retention import apply_retention

Client = AsyncTestClient[Litestar]

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
async def pg(settings: Settings) -> Any:
    conn = await asyncpg.connect(settings.postgres.dsn)
    for schema in ("obv", "tracker"):
        await apply_migrations(conn, schema)
    yield conn
    await conn.close()


async def _archive(pg: asyncpg.Connection, platform_id: str) -> str:
    """Rows obv-archiver would have written for the application: one report version with an
    account (its holder's name) and a transaction."""
    crm_id = str(uuid.uuid4())
    run_id = uuid.uuid4()
    await pg.execute(
        "insert into obv.archive_runs (run_id, trigger, started_at, status) "
        "values ($1, 'command', $2, 'succeeded')",
        run_id,
        NOW,
    )
    await pg.execute(
        "insert into obv.applications (application_id, platform_id, obv_reference, "
        "dynamics_modified_on, pending, first_seen_at, last_seen_at) "
        "values ($1, $2, $3, $4, false, $4, $4)",
        crm_id,
        platform_id,
        f"OBV-{crm_id[:8]}",
        NOW,
    )
    version_id = await pg.fetchval(
        "insert into obv.report_versions (application_id, version, obv_reference, "
        "report_application_reference, payload_sha256, payload, generated_at, account_count, "
        "balance_count, transaction_count, archived_at, run_id) values "
        "($1, 1, $2, 'FF-X', $3, $4, $5, 1, 0, 1, $5, $6) returning version_id",
        crm_id,
        f"OBV-{crm_id[:8]}",
        "0" * 64,
        b"{}",
        NOW,
        run_id,
    )
    await pg.execute(
        "insert into obv.accounts values ($1, 'acc-1', 'GBP', 'Personal', 'CurrentAccount', "
        "null, null, '12345612345678', 'Ada Holder', 1, 0, -1250, 0, 0)",
        version_id,
    )
    await pg.execute(
        "insert into obv.transactions (version_id, account_id, transaction_id, seq, status, "
        "booked_at, booked_offset_minutes, amount_pence, currency, description) values "
        "($1, 'acc-1', 'tx-1', 1, 'Booked', $2, 0, -1250, 'GBP', 'TESCO')",
        version_id,
        NOW,
    )
    return crm_id


async def _track(pg: asyncpg.Connection, application_id: str) -> str:
    session_id = f"s-{uuid.uuid4().hex}"
    await pg.execute(
        "insert into tracker.sessions (session_id, origin_at, origin_event_id, environment, "
        "form, anonymous_id, first_seen, last_seen, events, furthest_step_index, "
        "application_id, source) values ($1, $2, 'e1', 'test', 'apply', 'anon', $2, $2, 1, 0, "
        "$3, 'web')",
        session_id,
        NOW,
        application_id,
    )
    for kind in ("email", "phone"):
        await pg.execute(
            "insert into tracker.session_identities values ($1, $2, $3, $4)",
            session_id,
            kind,
            uuid.uuid4().hex,
            NOW,
        )
    return session_id


async def _archived(pg: asyncpg.Connection, crm_id: str) -> int:
    count: int = await pg.fetchval(
        "select count(*) from obv.applications where application_id = $1", crm_id
    )
    return count


async def _erase(client: Client, staff_as: StaffFactory, customer_id: str) -> dict[str, Any]:
    admin = await staff_as("admin")
    view = await client.get(f"/v1/staff/customers/{customer_id}", headers=admin.headers)
    response = await client.post(
        f"/v1/staff/customers/{customer_id}/erase",
        json={"version": view.json()["version"]},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def test_erasure_deletes_the_archive_and_identity_hashes_and_says_so(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
    pg: asyncpg.Connection,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    crm_id = await _archive(pg, app["id"])
    session_id = await _track(pg, app["id"])

    report = await _erase(client, staff_as, who.customer_id)

    assert await _archived(pg, crm_id) == 0
    for table in ("accounts", "transactions"):
        orphans = await pg.fetchval(
            f"select count(*) from obv.{table} "
            "where version_id not in (select version_id from obv.report_versions)"
        )
        assert orphans == 0, table
    identities = await pg.fetchval(
        "select count(*) from tracker.session_identities where session_id = $1", session_id
    )
    assert identities == 0
    erased = {e["where"]: e for e in report["erased"]}
    archive = erased[f"obv.* rows of archived application {crm_id}"]
    assert archive["count"] == 1
    assert "Art 17" in archive["basis"]
    assert erased["tracker.session_identities"]["count"] == 2
    assert {"customers", "applications", "Cognito customer user pool", "data_keys"} <= set(erased)
    assert [r["where"] for r in report["retained"]] == ["audit_events"]
    assert report["retained"][0]["until"] is None


async def test_a_loans_archive_is_kept_until_its_date_then_the_retention_job_deletes_it(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
    pg: asyncpg.Connection,
    mongo_db: Any,
    settings: Settings,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    underwriter = await staff_as("underwriter")
    offered = await act(
        client, underwriter, app["id"], "approve", amount_pence=90_000, term_months=12
    )
    assert offered.status_code == 200, offered.text
    accepted = await client.post(f"/v1/applications/{app['id']}/offer/accept", headers=who.headers)
    assert accepted.status_code == 200, accepted.text
    crm_id = await _archive(pg, app["id"])

    report = await _erase(client, staff_as, who.customer_id)

    retained = {r["where"].split(" ")[0]: r for r in report["retained"]}
    kept = retained[f"obv.applications/{crm_id}"]
    loan = retained[f"applications/{app['id']}"]
    until = date.fromisoformat(kept["until"])
    assert loan["until"] == kept["until"]
    assert until.year == datetime.now(UTC).year + 7, "a 12-month loan, then six years"
    assert "CONC" in kept["reason"]
    row = await pg.fetchrow(
        "select retain_until, retention_reason from obv.applications where application_id = $1",
        crm_id,
    )
    assert row["retain_until"] == until
    assert "CONC" in row["retention_reason"]
    holds = {
        h["_id"] async for h in mongo_db.retention_holds.find({"ref": {"$in": [crm_id, app["id"]]}})
    }
    assert holds == {f"open_banking:{crm_id}", f"loan_record:{app['id']}"}

    ctx = {"settings": settings, "mongo_db": mongo_db}
    early = await apply_retention(ctx, today=(until - timedelta(days=1)).isoformat())
    assert early["deleted"].get("open_banking") is None
    assert await _archived(pg, crm_id) == 1

    done = await apply_retention(ctx, today=until.isoformat())
    assert done["deleted"]["open_banking"] >= 1
    assert done["deleted"]["loan_record"] >= 1
    assert await _archived(pg, crm_id) == 0
    assert await mongo_db.applications.find_one({"_id": app["id"]}) is None
    assert (
        await mongo_db.retention_holds.count_documents({"ref": {"$in": [crm_id, app["id"]]}}) == 0
    )
    run = await mongo_db.retention_runs.find_one({"day": until.isoformat()})
    assert run["deleted"]["open_banking"] >= 1
    recorded = str(run)
    for value in (crm_id, app["id"], who.customer_id, who.personal["last_name"]):
        assert value not in recorded, "the run record names nothing and nobody"


async def test_an_erased_customer_can_no_longer_write_with_a_token_issued_before(
    client: Client,
    applicant: ApplicantFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    before = await client.post("/v1/applications", headers=who.headers)
    assert before.status_code == 201, before.text
    await _erase(client, staff_as, who.customer_id)
    refused = await client.post("/v1/applications", headers=who.headers)
    assert refused.status_code == 403, refused.text
    assert "erased" in refused.json()["detail"]
    read = await client.get("/v1/me", headers=who.headers)
    assert read.status_code == 200


async def test_a_staff_member_disabled_in_cognito_can_no_longer_write(
    client: Client,
    applicant: ApplicantFactory,
    staff_member: StaffFactory,
    cognito_client: Any,
    staff_pool: Any,
) -> None:
    who = await applicant()
    operations = await staff_member("operations")
    path = f"/v1/staff/customers/{who.customer_id}"
    version = (await client.get(path, headers=operations.headers)).json()["version"]
    await cognito_client.admin_disable_user(
        UserPoolId=staff_pool.pool_id, Username=operations.username
    )
    refused = await client.patch(
        path, json={"version": version, "mobile": "07700 900462"}, headers=operations.headers
    )
    assert refused.status_code == 401, refused.text
    assert "disabled" in refused.json()["detail"]
    await cognito_client.admin_enable_user(
        UserPoolId=staff_pool.pool_id, Username=operations.username
    )
    allowed = await client.patch(
        path, json={"version": version, "mobile": "07700 900462"}, headers=operations.headers
    )
    assert allowed.status_code == 200, allowed.text


async def test_subject_access_includes_loans_the_archive_decisions_and_document_links(
    client: Client,
    customer_token: Any,
    loanbook_conn: Any,
    staff_as: StaffFactory,
    pg: asyncpg.Connection,
) -> None:
    headers, customer_id = await customer_with_loans(customer_token, loanbook_conn)
    assert (await client.get("/v1/me", headers=headers)).status_code == 200
    draft = await client.post("/v1/applications", headers=headers)
    assert draft.status_code == 201, draft.text
    crm_id = await _archive(pg, draft.json()["id"])
    operations = await staff_as("operations")

    response = await client.get(
        f"/v1/staff/customers/{customer_id}/export", headers=operations.headers
    )

    assert response.status_code == 200, response.text
    export = response.json()
    assert sorted(loan["loan"]["status"] for loan in export["loans"]) == ["live", "settled"]
    assert all(loan["transactions"] for loan in export["loans"])
    assert all(t["amount_pence"] for loan in export["loans"] for t in loan["transactions"]), (
        "transactions in pence"
    )
    [archive] = export["open_banking"]
    assert archive["application_id"] == crm_id
    [version] = archive["versions"]
    assert version["accounts"][0]["holder_name"] == "Ada Holder"
    assert version["transactions"][0]["description"] == "TESCO"
    [decision] = export["decisions"]
    assert decision["application_id"] == draft.json()["id"]
    assert decision["reasons"] == []
    assert export["crm_contact"] is None, "never sent to the CRM"
    assert export["document_links"] == []
