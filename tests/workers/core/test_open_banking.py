"""Open banking end to end: the customer starts a consent through the API, follows the OBV
simulator's bank journey, and check_open_banking (in burst mode against the real Redis) fetches
the report and re-runs the decision on the verified figures as a new version."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.dynamics import DynamicsSimulator
from tests.fixtures.obv import ObvSimulator
from tests.fixtures.staff import (
    Applicant,
    ApplicantFactory,
    StaffFactory,
    SubmitFactory,
    act,
    open_application,
)
from tests.workers.core.sync_harness import drain

from ff_shared.integrations.dynamics.schemas import LOAN_APPLICATIONS
from ff_shared.integrations.obv.client import ObvClient
from ff_shared.jobs import JOB_CHECK_OPEN_BANKING, open_banking_job_id
from ff_shared.settings import Settings

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> Any:
    pool = await create_pool(RedisSettings.from_dsn(settings.redis.url))
    yield pool
    await pool.aclose()


@pytest.fixture(autouse=True)
async def no_faults(obv_sim: ObvSimulator, dynamics_sim: DynamicsSimulator) -> Any:
    await obv_sim.clear_faults()
    yield
    await obv_sim.clear_faults()
    await dynamics_sim.clear_faults()


async def _start(client: Client, who: Applicant, app_id: str) -> Any:
    return await client.post(f"/v1/applications/{app_id}/open-banking", headers=who.headers)


async def _stored(mongo_db: Any, app_id: str) -> dict[str, Any]:
    raw: dict[str, Any] | None = await mongo_db["applications"].find_one({"_id": app_id})
    assert raw is not None
    return raw


async def _back_from_the_bank(
    client: Client, obv_sim: ObvSimulator, consent: dict[str, Any], **journey: str
) -> None:
    """The customer's browser: the bank journey, then OBV's redirect to the platform."""
    response = await obv_sim.follow(consent["authorisation_url"], **journey)
    assert response.status == 302
    location = urlsplit(response.headers["Location"])
    back = await client.get(location.path, params=dict(parse_qsl(location.query)))
    assert back.status_code == 200, back.text
    assert back.json()["reference"] == consent["reference"]


async def _connected(
    client: Client,
    obv_sim: ObvSimulator,
    settings: Settings,
    mongo_db: Any,
    who: Applicant,
    app: dict[str, Any],
    household: str,
) -> dict[str, Any]:
    started = await _start(client, who, app["id"])
    assert started.status_code == 201, started.text
    await _back_from_the_bank(client, obv_sim, started.json(), household=household)
    await drain(settings)
    return await _stored(mongo_db, app["id"])


async def test_starting_open_banking_gives_the_bank_url_once(
    client: Client,
    settings: Settings,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    started = await _start(client, who, app["id"])
    assert started.status_code == 201, started.text
    consent = started.json()
    assert consent["state"] == "awaiting_authorisation"
    assert consent["reference"].startswith("OBV-")
    assert consent["authorisation_url"] == f"{obv_sim.url}/journey/{consent['reference']}"
    again = await _start(client, who, app["id"])
    assert again.status_code == 200
    assert again.json()["reference"] == consent["reference"]
    seen = await client.get(f"/v1/applications/{app['id']}", headers=who.headers)
    assert seen.json()["open_banking"]["reference"] == consent["reference"]
    mine = [c for c in await obv_sim.consents() if c["application_reference"] == app["id"]]
    assert len(mine) == 1
    await obv_sim.follow(consent["authorisation_url"], outcome="reject")
    await drain(settings)
    after = await client.get(f"/v1/applications/{app['id']}/open-banking", headers=who.headers)
    assert after.json()["state"] == "rejected"


async def test_open_banking_needs_a_submitted_application_of_ones_own(
    client: Client, applicant: ApplicantFactory, submit_application: SubmitFactory
) -> None:
    who, someone_else = await applicant(), await applicant()
    draft = await client.post("/v1/applications", headers=who.headers)
    response = await _start(client, who, draft.json()["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    app = await submit_application(who)
    assert (await _start(client, someone_else, app["id"])).status_code == 404


async def test_the_callback_does_not_tell_which_references_exist(
    client: Client,
    settings: Settings,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    consent = (await _start(client, who, app["id"])).json()
    journey = await obv_sim.follow(consent["authorisation_url"], outcome="reject")
    location = urlsplit(journey.headers["Location"])
    known = await client.get(location.path, params=dict(parse_qsl(location.query)))
    unknown = await client.get(
        location.path, params={**dict(parse_qsl(location.query)), "reference": "OBV-UNKNOWN"}
    )
    await drain(settings)
    assert known.status_code == unknown.status_code == 200
    assert known.json() == {**unknown.json(), "reference": consent["reference"]}
    assert unknown.json()["reference"] == "OBV-UNKNOWN"
    assert known.headers["content-type"] == unknown.headers["content-type"]


async def test_verified_figures_rerun_the_decision_as_a_new_version(
    client: Client,
    settings: Settings,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    first = (await _stored(mongo_db, app["id"]))["decision"]
    raw = await _connected(client, obv_sim, settings, mongo_db, who, app, "benefits")
    consent = raw["open_banking"]
    summary = consent["summary"]
    assert consent["state"] == "completed"
    assert consent["decision_version"] == 2
    assert raw["decision_version"] == 2
    decision = raw["decision"]
    evidence = decision["trace"][0]
    assert evidence["rule"] == "open_banking_verified"
    assert evidence["inputs"]["obv_reference"] == consent["reference"]
    affordability = next(r for r in decision["trace"] if r["rule"] == "affordability")["inputs"]
    assert affordability["income_source"] == "verified"
    assert affordability["essential_spend_source"] == "verified"
    assert affordability["monthly_income_pence"] == summary["monthly_income_pence"]
    assert (
        affordability["reported_essential_spend_pence"] == summary["monthly_essential_spend_pence"]
    )
    [earlier] = raw["earlier_decisions"]
    assert earlier["version"] == 1
    assert earlier["basis"] == "declared"
    assert earlier["decision"]["outcome"] == first["outcome"]
    declared = next(r for r in earlier["decision"]["trace"] if r["rule"] == "affordability")
    assert declared["inputs"]["income_source"] == "declared"
    assert raw["status"] == "in_review", "staff, not the engine, act on the new evidence"

    detail = await open_application(client, await staff_as("underwriter"), app["id"])
    assert detail["decision_version"] == 2
    assert detail["decision"]["trace"][0]["rule"] == "open_banking_verified"
    assert detail["open_banking"]["summary"]["income_streams"][0]["category"] == "benefits"
    assert detail["earlier_decisions"][0]["decision"]["trace"]
    customer_view = (await client.get(f"/v1/applications/{app['id']}", headers=who.headers)).json()
    assert customer_view["open_banking"]["decision_version"] == 2
    assert (customer_view["status"], customer_view["decision"]) == ("in_review", None)

    [row] = [
        r for r in await dynamics_sim.rows(LOAN_APPLICATIONS) if r["ff_platformid"] == app["id"]
    ]
    assert row["ff_obvreference"] == consent["reference"]
    assert row["ff_decisionversion"] == 2


async def test_gambling_and_returned_payments_reach_the_staff_view(
    client: Client,
    settings: Settings,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    await _connected(client, obv_sim, settings, mongo_db, who, app, "gambling_heavy")
    detail = await open_application(client, await staff_as("underwriter"), app["id"])
    summary = detail["open_banking"]["summary"]
    assert summary["gambling_transactions"] > 100
    assert "gambling" in summary["flags"]
    other = await applicant()
    second = await submit_application(other)
    await _connected(client, obv_sim, settings, mongo_db, other, second, "returned_dd")
    detail = await open_application(client, await staff_as("underwriter"), second["id"])
    assert detail["open_banking"]["summary"]["returned_payments"] >= 3


async def test_polling_finds_the_report_when_the_customer_never_comes_back(
    client: Client,
    settings: Settings,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    consent = (await _start(client, who, app["id"])).json()
    response = await obv_sim.follow(consent["authorisation_url"], household="salaried")
    assert response.status == 302, "the browser was closed before the redirect came back"
    await drain(settings)
    raw = await _stored(mongo_db, app["id"])
    assert raw["open_banking"]["state"] == "completed"
    assert raw["decision_version"] == 2


async def test_a_refused_consent_leaves_the_decision_and_can_be_started_again(
    client: Client,
    settings: Settings,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    consent = (await _start(client, who, app["id"])).json()
    await _back_from_the_bank(client, obv_sim, consent, outcome="reject")
    await drain(settings)
    raw = await _stored(mongo_db, app["id"])
    assert raw["open_banking"]["state"] == "rejected"
    assert raw.get("decision_version", 1) == 1, "the decision was not re-run"
    again = await _start(client, who, app["id"])
    assert again.status_code == 201
    assert again.json()["reference"] != consent["reference"]
    await _back_from_the_bank(client, obv_sim, again.json(), household="gig")
    await drain(settings)
    raw = await _stored(mongo_db, app["id"])
    assert raw["open_banking"]["attempt"] == 2
    assert raw["open_banking"]["state"] == "completed"
    assert raw["decision_version"] == 2


async def test_obv_failing_then_recovering_completes_once(
    client: Client,
    settings: Settings,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    consent = (await _start(client, who, app["id"])).json()
    await obv_sim.fault(
        "status", status=503, times=None, path_contains=f"/v1/reports/{consent['reference']}"
    )
    await _back_from_the_bank(client, obv_sim, consent, household="salaried")

    async def failing() -> bool:
        stored = await _stored(mongo_db, app["id"])
        return bool(stored["open_banking"].get("last_error"))

    await drain(settings, until=failing)
    raw = await _stored(mongo_db, app["id"])
    assert raw["open_banking"]["last_error"].startswith("deadline_exceeded (HTTP 503)")
    assert raw.get("decision_version", 1) == 1, "the decision was not re-run"
    await obv_sim.clear_faults()
    await drain(settings)
    raw = await _stored(mongo_db, app["id"])
    assert raw["open_banking"]["state"] == "completed"
    assert raw["open_banking"]["last_error"] is None
    assert raw["decision_version"] == 2
    assert len(raw["earlier_decisions"]) == 1


async def test_a_report_that_does_not_map_is_not_relied_on(
    client: Client,
    obv: ObvClient,
    settings: Settings,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    consent = (await _start(client, who, app["id"])).json()
    await obv_sim.complete(consent["reference"], household="salaried")
    report = msgspec.json.decode((await obv.fetch_report(consent["reference"])).raw)
    report["Data"]["Transaction"][0]["Amount"]["Currency"] = "EUR"
    await obv_sim.put_report(consent["reference"], msgspec.json.encode(report))
    await drain(settings)
    raw = await _stored(mongo_db, app["id"])
    assert raw["open_banking"]["state"] == "failed"
    assert raw["open_banking"]["last_error"].startswith("report_invalid")
    assert raw["open_banking"]["summary"] is None
    assert raw.get("decision_version", 1) == 1, "the decision was not re-run"


async def test_the_check_run_again_after_completion_adds_no_version(
    client: Client,
    settings: Settings,
    redis: ArqRedis,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    raw = await _connected(client, obv_sim, settings, mongo_db, who, app, "salaried")
    reference = raw["open_banking"]["reference"]
    for source in ("again-1", "again-2"):
        await redis.enqueue_job(
            JOB_CHECK_OPEN_BANKING,
            application_id=app["id"],
            reference=reference,
            _job_id=open_banking_job_id(app["id"], reference, source),
            _queue_name=settings.redis.queue_name,
        )
    await drain(settings)
    after = await _stored(mongo_db, app["id"])
    assert after["decision_version"] == 2
    assert len(after["earlier_decisions"]) == 1
    assert after["open_banking"]["completed_at"] == raw["open_banking"]["completed_at"]


async def test_a_verified_decline_shows_the_customer_under_review_until_a_person_decides(
    client: Client,
    settings: Settings,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who, loan={"amount_pence": 300_000, "term_months": 6})
    assert (app["status"], app["decision"]) == ("in_review", None)
    raw = await _connected(client, obv_sim, settings, mongo_db, who, app, "benefits")
    assert (raw["status"], raw["decision"]["outcome"]) == ("in_review", "decline")
    seen = (await client.get(f"/v1/applications/{app['id']}", headers=who.headers)).json()
    assert (seen["status"], seen["decision"]) == ("in_review", None)
    underwriter = await staff_as("underwriter")
    detail = await open_application(client, underwriter, app["id"])
    assert detail["decision"]["outcome"] == "decline"
    declined = await act(
        client, underwriter, app["id"], "decline", reason_code="unaffordable", note="verified"
    )
    assert declined.status_code == 200, declined.text
    told = (await client.get(f"/v1/applications/{app['id']}", headers=who.headers)).json()
    assert told["status"] == "declined"
    assert told["decision"]["outcome"] == "decline"


async def test_polling_a_consent_in_progress_keeps_the_version_a_reviewer_saw(
    client: Client,
    settings: Settings,
    mongo_db: Any,
    obv_sim: ObvSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    underwriter = await staff_as("underwriter")

    async def authorised() -> bool:
        consent = (await _stored(mongo_db, app["id"])).get("open_banking") or {}
        return consent.get("state") == "authorised"

    await obv_sim.configure(report_delay_seconds=3600)
    try:
        started = await _start(client, who, app["id"])
        assert started.status_code == 201, started.text
        seen = await open_application(client, underwriter, app["id"])
        await _back_from_the_bank(client, obv_sim, started.json(), household="salaried")
        await drain(settings, until=authorised)  # the check finds the report not ready yet
    finally:
        await obv_sim.configure(report_delay_seconds=0)
    now = await open_application(client, underwriter, app["id"])
    assert now["open_banking"]["state"] == "authorised"
    assert (now["version"], now["updated_at"]) == (seen["version"], seen["updated_at"])
    assigned = await act(client, underwriter, app["id"], "assign", version=seen["version"])
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["open_banking"]["state"] == "authorised", "the write kept the progress"
    await obv_sim.complete(started.json()["reference"], household="salaried")
    await drain(settings)
    assert (await _stored(mongo_db, app["id"]))["open_banking"]["state"] == "completed"
