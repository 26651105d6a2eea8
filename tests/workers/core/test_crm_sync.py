"""sync_application_to_crm: submitted applications reach the Dynamics simulator exactly once,
however often the job runs, however it fails, and when the worker is killed half-way."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.dynamics import DynamicsSimulator
from tests.fixtures.staff import ApplicantFactory, StaffFactory, SubmitFactory, act
from tests.workers.core.sync_harness import drain, wait_for

from ff_shared.integrations.dynamics.schemas import (
    CONTACTS,
    LOAN_APPLICATIONS,
    ApplicationStatusChoice,
    DecisionOutcomeChoice,
)
from ff_shared.jobs import JOB_SYNC_APPLICATION_TO_CRM, crm_sync_job_id
from ff_shared.settings import Settings, settings_to_env

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> Any:
    pool = await create_pool(RedisSettings.from_dsn(settings.redis.url))
    yield pool
    await pool.aclose()


@pytest.fixture(autouse=True)
async def no_faults(dynamics_sim: DynamicsSimulator) -> Any:
    await dynamics_sim.clear_faults()
    yield
    await dynamics_sim.clear_faults()


async def _rows(sim: DynamicsSimulator, entity_set: str, platform_id: str) -> list[dict[str, Any]]:
    return [r for r in await sim.rows(entity_set) if r["ff_platformid"] == platform_id]


async def _crm(mongo_db: Any, app_id: str) -> dict[str, Any]:
    raw = await mongo_db["applications"].find_one({"_id": app_id})
    assert raw is not None
    crm: dict[str, Any] = raw.get("crm") or {}
    return crm


async def _enqueue(redis: ArqRedis, queue: str, app_id: str, version: int, tag: str) -> None:
    job = await redis.enqueue_job(
        JOB_SYNC_APPLICATION_TO_CRM,
        application_id=app_id,
        version=version,
        _job_id=f"{crm_sync_job_id(app_id, version)}:{tag}",
        _queue_name=queue,
    )
    assert job is not None


async def test_a_submitted_application_appears_in_dynamics_with_its_contact(
    settings: Settings,
    mongo_db: Any,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    await drain(settings)
    [row] = await _rows(dynamics_sim, LOAN_APPLICATIONS, app["id"])
    [contact] = await _rows(dynamics_sim, CONTACTS, who.customer_id)
    assert row["ff_name"] == app["reference"]
    assert row["ff_applicationstatus"] == ApplicationStatusChoice.IN_REVIEW
    stored = await mongo_db["applications"].find_one({"_id": app["id"]})
    assert row["ff_decisionoutcome"] == DecisionOutcomeChoice.of(stored["decision"]["outcome"])
    assert row["ff_decisionversion"] == 1
    assert row["ff_requestedamountpence"] == 100_000
    assert row["ff_obvreference"] is None
    assert row["_ff_contact_value"] == contact["contactid"]
    assert contact["firstname"] == who.personal["first_name"]
    assert contact["lastname"] == who.personal["last_name"]
    assert contact["emailaddress1"] == who.login, "the profile's e-mail wins over the form's"
    assert contact["birthdate"] == who.personal["date_of_birth"]
    assert contact["address1_postalcode"] == who.address["postcode"]
    crm = await _crm(mongo_db, app["id"])
    assert crm["state"] == "synced"
    assert crm["contact_id"] == contact["contactid"]
    assert crm["application_id"] == row["ff_loanapplicationid"]
    assert crm["last_error"] is None
    assert crm["synced_version"] >= app["version"]


async def test_the_staff_view_shows_the_crm_ids_and_state(
    settings: Settings,
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    await drain(settings)
    staff = await staff_as("underwriter")
    detail = (await client.get(f"/v1/staff/applications/{app['id']}", headers=staff.headers)).json()
    assert detail["crm"]["state"] == "synced"
    assert detail["crm"]["contact_id"]
    assert detail["crm"]["application_id"]
    assert detail["decision_version"] == 1
    assert detail["earlier_decisions"] == []


async def test_running_the_sync_twice_leaves_one_record_of_each(
    settings: Settings,
    redis: ArqRedis,
    mongo_db: Any,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    await drain(settings)
    first = await _crm(mongo_db, app["id"])
    for tag in ("again", "and-again"):
        await _enqueue(redis, settings.redis.queue_name, app["id"], app["version"], tag)
    await drain(settings)
    assert len(await _rows(dynamics_sim, LOAN_APPLICATIONS, app["id"])) == 1
    assert len(await _rows(dynamics_sim, CONTACTS, who.customer_id)) == 1
    again = await _crm(mongo_db, app["id"])
    assert (again["contact_id"], again["application_id"]) == (
        first["contact_id"],
        first["application_id"],
    )
    assert again["attempts"] > first["attempts"], "the job did run again"


async def test_a_staff_decision_updates_the_crm_record(
    settings: Settings,
    client: Client,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    await drain(settings)
    response = await act(
        client,
        await staff_as("underwriter"),
        app["id"],
        "approve",
        amount_pence=75_000,
        term_months=10,
    )
    assert response.status_code == 200, response.text
    await drain(settings)
    [row] = await _rows(dynamics_sim, LOAN_APPLICATIONS, app["id"])
    assert row["ff_applicationstatus"] == ApplicationStatusChoice.OFFERED
    assert (row["ff_offeredamountpence"], row["ff_offeredtermmonths"]) == (75_000, 10)


async def test_dynamics_failing_until_the_deadline_is_retried_later_and_then_syncs(
    settings: Settings,
    mongo_db: Any,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    await dynamics_sim.fault("status", status=503, times=None, path_contains=who.customer_id)

    async def retrying() -> bool:
        crm = await _crm(mongo_db, app["id"])
        return crm.get("state") == "retrying"

    await drain(settings, until=retrying)
    crm = await _crm(mongo_db, app["id"])
    assert crm["last_error"].startswith("deadline_exceeded (HTTP 503)")
    assert crm["contact_id"] is None
    assert await _rows(dynamics_sim, CONTACTS, who.customer_id) == []
    await dynamics_sim.clear_faults()
    await drain(settings)
    crm = await _crm(mongo_db, app["id"])
    assert crm["state"] == "synced"
    assert crm["last_error"] is None
    assert crm["attempts"] >= 2
    assert len(await _rows(dynamics_sim, LOAN_APPLICATIONS, app["id"])) == 1


async def test_a_malformed_answer_is_rejected_without_touching_the_stored_ids(
    settings: Settings,
    redis: ArqRedis,
    mongo_db: Any,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    app = await submit_application(await applicant())
    await drain(settings)
    synced = await _crm(mongo_db, app["id"])
    await dynamics_sim.fault(
        "malformed",
        body="html",
        times=None,
        method="PATCH",
        path_contains=f"ff_loanapplications(ff_platformid='{app['id']}')",
        after_processing=True,
    )
    await _enqueue(redis, settings.redis.queue_name, app["id"], app["version"], "malformed")

    async def retrying() -> bool:
        return (await _crm(mongo_db, app["id"])).get("state") == "retrying"

    await drain(settings, until=retrying)
    crm = await _crm(mongo_db, app["id"])
    assert crm["last_error"].startswith("malformed_response")
    assert (crm["contact_id"], crm["application_id"]) == (
        synced["contact_id"],
        synced["application_id"],
    )
    await dynamics_sim.clear_faults()
    await drain(settings)
    crm = await _crm(mongo_db, app["id"])
    assert crm["state"] == "synced"
    assert crm["application_id"] == synced["application_id"]
    assert len(await _rows(dynamics_sim, LOAN_APPLICATIONS, app["id"])) == 1


async def test_a_refusal_by_the_crm_is_recorded_as_failed_and_not_retried(
    settings: Settings,
    mongo_db: Any,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    await dynamics_sim.fault("status", status=400, times=None, path_contains=who.customer_id)
    await drain(settings)
    crm = await _crm(mongo_db, app["id"])
    assert crm["state"] == "failed"
    assert crm["last_error"].startswith("rejected (HTTP 400)")
    assert crm["attempts"] == 1


async def test_a_worker_killed_after_the_crm_committed_then_retried_leaves_one_record(
    settings: Settings,
    session_id: str,
    redis: ArqRedis,
    mongo_db: Any,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    tmp_path: Path,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    queue = f"ff:test:{session_id}:crm-kill-{uuid.uuid4().hex[:6]}"
    worker_settings = msgspec.structs.replace(
        settings, redis=msgspec.structs.replace(settings.redis, queue_name=queue)
    )
    # The CRM commits the application row, then takes 60 s to answer (every time the client
    # asks again): the worker dies waiting.
    await dynamics_sim.fault(
        "slow",
        delay_seconds=60,
        times=None,
        method="PATCH",
        path_contains=f"ff_loanapplications(ff_platformid='{app['id']}')",
        after_processing=True,
    )
    job_id = f"{crm_sync_job_id(app['id'], app['version'])}:kill"
    await redis.enqueue_job(
        JOB_SYNC_APPLICATION_TO_CRM,
        application_id=app["id"],
        version=app["version"],
        _job_id=job_id,
        _queue_name=queue,
    )
    log = (tmp_path / "worker.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ff"),
        "worker",
        "core",
        "--burst",
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("FF_")},
            **settings_to_env(worker_settings),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        async def committed() -> bool:
            return len(await _rows(dynamics_sim, LOAN_APPLICATIONS, app["id"])) == 1

        await wait_for(committed, within=60)
        assert (await _crm(mongo_db, app["id"])).get("state") == "syncing"
        worker.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(worker.wait(), 10) == -signal.SIGKILL
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
        log.close()
    await dynamics_sim.clear_faults()
    in_progress = f"arq:in-progress:{job_id}"
    assert await redis.pttl(in_progress) > 0, "arq would hand the job on once this expires"
    await redis.delete(in_progress)  # fast-forward the dead worker's lease
    await drain(worker_settings, queue_name=queue)
    [row] = await _rows(dynamics_sim, LOAN_APPLICATIONS, app["id"])
    assert len(await _rows(dynamics_sim, CONTACTS, who.customer_id)) == 1
    crm = await _crm(mongo_db, app["id"])
    assert crm["state"] == "synced"
    assert crm["application_id"] == row["ff_loanapplicationid"]
    assert crm["attempts"] == 2


async def test_a_reviewer_acts_on_the_version_they_read_while_the_crm_sync_runs(
    settings: Settings,
    client: Client,
    mongo_db: Any,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    app = await submit_application(await applicant())
    staff = await staff_as("underwriter")
    url = f"/v1/staff/applications/{app['id']}"
    seen = (await client.get(url, headers=staff.headers)).json()
    await drain(settings)  # the CRM sync records syncing, then synced, through the worker
    assert (await _crm(mongo_db, app["id"]))["state"] == "synced"
    now = (await client.get(url, headers=staff.headers)).json()
    assert now["crm"]["state"] == "synced"
    assert (now["version"], now["updated_at"]) == (seen["version"], seen["updated_at"])
    response = await act(
        client,
        staff,
        app["id"],
        "approve",
        amount_pence=75_000,
        term_months=10,
        version=seen["version"],
    )
    assert response.status_code == 200, response.text
    approved = response.json()
    assert approved["version"] == seen["version"] + 1
    assert approved["updated_at"] > seen["updated_at"]
    await drain(settings)  # the approval reaches the CRM; its bookkeeping keeps the version
    assert (await _crm(mongo_db, app["id"]))["synced_version"] == approved["version"]
    final = (await client.get(url, headers=staff.headers)).json()
    assert final["version"] == approved["version"]
