"""``create_lms_loan`` run by the core worker against the Anchor LMS simulator and the loan book."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aioodbc
import msgspec
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.anchor_lms import AnchorSimulator
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.loanbook import subject_of
from tests.fixtures.payments import record_active_mandate
from tests.fixtures.workers import close_worker

from ff_shared.jobs import JOB_CREATE_LMS_LOAN, lms_loan_job_id
from ff_shared.settings import Settings, settings_to_env
from ff_workers.core.worker import WorkerSettings
from ff_workers.runtime import build_worker

Client = AsyncTestClient[Litestar]

OFFER = {
    "amount_pence": 150_000,
    "term_months": 12,
    "monthly_instalment_pence": 15_069,
    "apr_percent": 42.6,
    "total_repayable_pence": 180_828,
    "annual_rate_bps": 3600,
}


@pytest.fixture(scope="module")
def worker_settings(settings: Settings, session_id: str) -> Settings:
    """The session's settings on a queue of this module's own, retrying after 20 ms."""
    return msgspec.structs.replace(
        settings,
        redis=msgspec.structs.replace(settings.redis, queue_name=f"ff:test:{session_id}:lms-jobs"),
        anchor_lms=msgspec.structs.replace(settings.anchor_lms, job_retry_seconds=0.02),
    )


@pytest.fixture(scope="module")
async def queue(worker_settings: Settings) -> Any:
    pool = await create_pool(
        RedisSettings.from_dsn(worker_settings.redis.url),
        default_queue_name=worker_settings.redis.queue_name,
    )
    try:
        yield pool
    finally:
        await pool.aclose()


RunWorker = Callable[[], Awaitable[None]]


@pytest.fixture
def run_worker(worker_settings: Settings) -> RunWorker:
    """Run the core worker in burst mode until its queue is empty."""

    async def run() -> None:
        worker = build_worker(
            WorkerSettings, worker_settings, burst=True, poll_delay=0.05, handle_signals=False
        )
        try:
            await asyncio.wait_for(worker.async_run(), timeout=120)
        finally:
            await close_worker(worker)

    return run


async def accepted_application(
    settings: Settings, mongo_db: Any, customer_id: str, offer: dict[str, Any] | None = None
) -> str:
    """An application as the staff portal leaves it once the customer accepted the offer and
    set up the Direct Debit mandate the loan is funded only with."""
    application_id = str(uuid.uuid4())
    await record_active_mandate(settings, application_id, customer_id)
    now = datetime.now(UTC).replace(microsecond=0)
    staff = {"id": "staff-sub", "username": "underwriter@example.com"}
    await mongo_db.applications.insert_one(
        {
            "_id": application_id,
            "reference": f"FF-{uuid.uuid4().hex[:8].upper()}",
            "customer_id": customer_id,
            "status": "accepted",
            "version": 4,
            "steps": {
                "personal": {
                    "title": "Ms",
                    "first_name": "Amelia",
                    "last_name": "O'Brien",
                    "date_of_birth": "1990-05-14",
                    "email": "amelia@example.com",
                    "mobile": "07700900123",
                },
                "address": {"postcode": "LS1 4AP", "line1": "12 Harbour Street", "town": "Leeds"},
            },
            "created_at": now,
            "updated_at": now,
            "submitted_at": now,
            "offer": {
                "offer": offer or OFFER,
                "proposed_by": staff,
                "made_at": now,
                "at_version": 2,
                "response": "accepted",
                "responded_at": now,
            },
        }
    )
    return application_id


async def enqueue(queue: ArqRedis, application_id: str, job_id: str | None = None) -> None:
    job = await queue.enqueue_job(
        JOB_CREATE_LMS_LOAN,
        application_id=application_id,
        _job_id=job_id or lms_loan_job_id(application_id),
    )
    assert job is not None


async def lms_of(mongo_db: Any, application_id: str) -> dict[str, Any]:
    document = await mongo_db.applications.find_one({"_id": application_id})
    assert document is not None
    assert document["status"] == "accepted"
    lms: dict[str, Any] = document.get("lms") or {}
    return lms


async def agreements_in_loan_book(conn: aioodbc.Connection, application_id: str) -> list[str]:
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT AgreementNumber FROM Agreements WHERE ExternalReference = ?",
            (application_id,),
        )
        return [str(r[0]) for r in await cur.fetchall()]


async def test_the_job_books_the_loan_once_however_often_it_runs(
    mongo_db: Any,
    worker_settings: Settings,
    queue: ArqRedis,
    run_worker: RunWorker,
    anchor_sim: AnchorSimulator,
    loanbook_conn: aioodbc.Connection,
    client: Client,
    customer_token: TokenFactory,
    staff_token: TokenFactory,
) -> None:
    await anchor_sim.clear()
    token = await customer_token()
    application_id = await accepted_application(worker_settings, mongo_db, subject_of(token))
    await enqueue(queue, application_id)
    await run_worker()

    lms = await lms_of(mongo_db, application_id)
    assert lms["state"] == "created"
    assert lms["last_error"] is None
    assert isinstance(lms["synced_at"], datetime)
    number = lms["agreement_number"]
    assert await anchor_sim.agreements_for(application_id) == [number]

    await enqueue(queue, application_id, job_id=f"{lms_loan_job_id(application_id)}:again")
    await run_worker()
    assert (await lms_of(mongo_db, application_id))["agreement_number"] == number
    assert await agreements_in_loan_book(loanbook_conn, application_id) == [number]

    # The customer sees the new loan, with the accepted offer's figures, through the API.
    loans = (await client.get("/v1/loans", headers=bearer(token))).json()["items"]
    assert [(loan["id"], loan["application_id"]) for loan in loans] == [(number, application_id)]
    assert loans[0]["advance_pence"] == OFFER["amount_pence"]
    assert loans[0]["instalment_pence"] == OFFER["monthly_instalment_pence"]
    assert loans[0]["status"] == "live"

    # Staff see the LMS loan id and the sync state on the application.
    staff = bearer(await staff_token("underwriter"))
    detail = (await client.get(f"/v1/staff/applications/{application_id}", headers=staff)).json()
    assert detail["status"] == "accepted"
    assert detail["lms"]["agreement_number"] == number
    assert detail["lms"]["state"] == "created"
    assert detail["lms"]["last_error"] is None


async def test_a_passing_lms_failure_is_retried_by_the_job(
    mongo_db: Any,
    queue: ArqRedis,
    run_worker: RunWorker,
    anchor_sim: AnchorSimulator,
    worker_settings: Settings,
) -> None:
    await anchor_sim.clear()
    application_id = await accepted_application(
        worker_settings, mongo_db, f"sub-{uuid.uuid4().hex}"
    )
    # Every attempt of the first try fails; the second try gets through.
    await anchor_sim.soap_fault("ServiceUnavailable", times=worker_settings.anchor_lms.max_attempts)
    await enqueue(queue, application_id)
    await run_worker()
    lms = await lms_of(mongo_db, application_id)
    assert lms["state"] == "created"
    assert lms["attempts"] == 2
    assert lms["last_error"] is None
    assert await anchor_sim.agreements_for(application_id) == [lms["agreement_number"]]


async def test_a_refused_loan_leaves_the_application_accepted_with_the_error(
    mongo_db: Any,
    worker_settings: Settings,
    queue: ArqRedis,
    run_worker: RunWorker,
    anchor_sim: AnchorSimulator,
    client: Client,
    staff_token: TokenFactory,
) -> None:
    await anchor_sim.clear()
    application_id = await accepted_application(
        worker_settings, mongo_db, f"sub-{uuid.uuid4().hex}", offer={**OFFER, "term_months": 0}
    )
    await enqueue(queue, application_id)
    await run_worker()
    lms = await lms_of(mongo_db, application_id)
    assert lms["state"] == "failed"
    assert lms["agreement_number"] is None
    assert "validation_failed" in lms["last_error"]
    assert await anchor_sim.agreements_for(application_id) == []
    staff = bearer(await staff_token("operations"))
    detail = (await client.get(f"/v1/staff/applications/{application_id}", headers=staff)).json()
    assert detail["status"] == "accepted"
    assert detail["lms"]["state"] == "failed"
    assert "validation_failed" in detail["lms"]["last_error"]


async def test_an_lms_down_for_every_try_ends_failed_with_its_last_error(
    mongo_db: Any,
    worker_settings: Settings,
    queue: ArqRedis,
    run_worker: RunWorker,
    anchor_sim: AnchorSimulator,
) -> None:
    await anchor_sim.clear()
    application_id = await accepted_application(
        worker_settings, mongo_db, f"sub-{uuid.uuid4().hex}"
    )
    await anchor_sim.fault("status", status=503, times=None)
    try:
        await enqueue(queue, application_id)
        await run_worker()
    finally:
        await anchor_sim.clear()
    lms = await lms_of(mongo_db, application_id)
    assert lms["state"] == "failed"
    assert lms["attempts"] == 8
    assert "unavailable (HTTP 503)" in lms["last_error"]
    assert await anchor_sim.agreements_for(application_id) == []


async def test_a_job_for_an_application_not_accepted_books_nothing(
    mongo_db: Any,
    worker_settings: Settings,
    queue: ArqRedis,
    run_worker: RunWorker,
    anchor_sim: AnchorSimulator,
) -> None:
    application_id = await accepted_application(
        worker_settings, mongo_db, f"sub-{uuid.uuid4().hex}"
    )
    await mongo_db.applications.update_one({"_id": application_id}, {"$set": {"status": "offered"}})
    await enqueue(queue, application_id)
    await run_worker()
    document = await mongo_db.applications.find_one({"_id": application_id})
    assert "lms" not in document
    assert await anchor_sim.agreements_for(application_id) == []


async def test_a_worker_killed_while_the_lms_books_leaves_exactly_one_loan_after_the_retry(
    mongo_db: Any,
    queue: ArqRedis,
    run_worker: RunWorker,
    anchor_sim: AnchorSimulator,
    loanbook_conn: aioodbc.Connection,
    worker_settings: Settings,
    workdir: Path,
) -> None:
    await anchor_sim.clear()
    application_id = await accepted_application(
        worker_settings, mongo_db, f"sub-{uuid.uuid4().hex}"
    )
    job_id = lms_loan_job_id(application_id)
    await enqueue(queue, application_id)
    # The LMS books the loan, then takes its time answering: the worker dies meanwhile.
    await anchor_sim.fault("slow", delay_seconds=30, after_processing=True, times=1)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FF_")},
        **settings_to_env(worker_settings),
        "FF_ANCHOR_LMS_TIMEOUT_SECONDS": "60",
    }
    log = (workdir / f"killed-worker-{application_id}.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ff"),
        "worker",
        "core",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not await anchor_sim.agreements_for(application_id):
            assert worker.returncode is None, "the worker exited before the LMS booked"
            assert time.monotonic() < deadline, "the LMS never booked the loan"
            await asyncio.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        await worker.wait()
        log.close()
    await anchor_sim.clear()

    lms = await lms_of(mongo_db, application_id)
    assert lms["state"] == "creating"  # killed while asking: visible to staff as in flight
    assert lms["agreement_number"] is None

    # arq lets another worker take the job once the dead one's in-progress key expires (after
    # the job's timeout); expire it now rather than wait.
    await queue.delete(in_progress_key_prefix + job_id)
    await run_worker()

    lms = await lms_of(mongo_db, application_id)
    assert lms["state"] == "created"
    assert lms["attempts"] == 2
    booked = await agreements_in_loan_book(loanbook_conn, application_id)
    assert booked == [lms["agreement_number"]]
    assert await anchor_sim.agreements_for(application_id) == booked
