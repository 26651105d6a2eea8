"""The customer's side of a decision: accepting (which queues the loan's creation), declining,
and nobody else's applications."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job, JobStatus
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.staff import (
    Applicant,
    ApplicantFactory,
    StaffFactory,
    SubmitFactory,
    act,
    open_application,
)

from ff_shared.jobs import JOB_CREATE_LMS_LOAN
from ff_shared.settings import Settings

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(
        RedisSettings.from_dsn(settings.redis.url), default_queue_name=settings.redis.queue_name
    )
    yield pool
    await pool.aclose()


async def _offered(
    client: Client, applicant: ApplicantFactory, submit: SubmitFactory, staff_as: StaffFactory
) -> tuple[Applicant, dict[str, Any]]:
    who = await applicant()
    app = await submit(who)
    response = await act(
        client,
        await staff_as("underwriter"),
        app["id"],
        "approve",
        amount_pence=75_000,
        term_months=10,
    )
    assert response.status_code == 200, response.text
    return who, response.json()


async def test_accepting_the_offer_queues_the_loan_once(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
    redis: ArqRedis,
    settings: Settings,
) -> None:
    who, offered = await _offered(client, applicant, submit_application, staff_as)
    app_id = offered["id"]
    mine = (await client.get(f"/v1/applications/{app_id}", headers=who.headers)).json()
    assert mine["offer"]["amount_pence"] == 75_000
    assert mine["offer"]["term_months"] == 10
    response = await client.post(
        f"/v1/applications/{app_id}/offer/accept",
        headers={**who.headers, "If-Match": f'"{mine["version"]}"'},
    )
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted"
    assert accepted["offer"]["response"] == "accepted"
    assert accepted["offer"]["responded_at"] is not None
    assert response.headers["etag"] == f'"{mine["version"] + 1}"'

    job = Job(f"create_lms_loan:{app_id}", redis, _queue_name=settings.redis.queue_name)
    assert await job.status() in {JobStatus.queued, JobStatus.in_progress, JobStatus.complete}
    info = await job.info()
    assert info is not None
    assert info.function == JOB_CREATE_LMS_LOAN
    assert info.kwargs == {"application_id": app_id}

    again = await client.post(f"/v1/applications/{app_id}/offer/accept", headers=who.headers)
    assert again.status_code == 200
    assert again.json()["version"] == accepted["version"], "a repeat changes nothing"
    queued = [
        j
        for j in await redis.queued_jobs(queue_name=settings.redis.queue_name)
        if j.function == JOB_CREATE_LMS_LOAN and j.kwargs == {"application_id": app_id}
    ]
    assert len(queued) <= 1
    detail = await open_application(client, await staff_as("underwriter"), app_id)
    accepted_entries = [e for e in detail["audit"] if e["action"] == "application.offer_accepted"]
    assert len(accepted_entries) == 1
    assert accepted_entries[0]["actor"]["type"] == "customer"


async def test_declining_the_offer_is_final(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who, offered = await _offered(client, applicant, submit_application, staff_as)
    response = await client.post(
        f"/v1/applications/{offered['id']}/offer/decline", headers=who.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "offer_declined"
    assert response.json()["offer"]["response"] == "declined"
    late = await client.post(f"/v1/applications/{offered['id']}/offer/accept", headers=who.headers)
    assert late.status_code == 409
    assert "offer_declined" in late.json()["detail"]


async def test_a_stale_if_match_on_acceptance_is_a_conflict(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who, offered = await _offered(client, applicant, submit_application, staff_as)
    stale = await client.post(
        f"/v1/applications/{offered['id']}/offer/accept",
        headers={**who.headers, "If-Match": f'"{offered["version"] - 1}"'},
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    still = (await client.get(f"/v1/applications/{offered['id']}", headers=who.headers)).json()
    assert still["status"] == "offered"


async def test_another_customers_offer_does_not_exist_for_you(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    _, offered = await _offered(client, applicant, submit_application, staff_as)
    intruder = await applicant()
    for action in ("offer/accept", "offer/decline", "information"):
        response = await client.post(
            f"/v1/applications/{offered['id']}/{action}",
            json={"message": "hi"} if action == "information" else None,
            headers=intruder.headers,
        )
        assert response.status_code == 404, action
    detail = await open_application(client, await staff_as("underwriter"), offered["id"])
    assert detail["status"] == "offered"
    assert detail["version"] == offered["version"]


async def test_staff_only_facts_never_reach_the_customer(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    underwriter = await staff_as("underwriter")
    await act(client, underwriter, app["id"], "notes", text="customer sounded stressed")
    await act(
        client,
        underwriter,
        app["id"],
        "decline",
        reason_code="suspected_fraud",
        note="payslip-looks-altered",
    )
    mine = (await client.get(f"/v1/applications/{app['id']}", headers=who.headers)).json()
    text = str(mine)
    assert mine["status"] == "declined"
    for secret in (
        "suspected_fraud",
        "payslip-looks-altered",
        "stressed",
        "trace",
        "risk_flags",
        underwriter.id,
    ):
        assert secret not in text
