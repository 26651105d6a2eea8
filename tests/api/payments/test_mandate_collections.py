"""From an accepted offer to collected instalments: the Direct Debit set-up on the provider's
hosted page, funding only with an active mandate, collections created ahead of their due dates
and booked on confirmation, failures and arrears for customer and staff, and forbearance.

The API is served over a real socket (the simulator's webhooks reach it), the core worker runs
in burst mode, the loan book is Anchor LMS's simulator's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.loanbook import subject_of
from tests.fixtures.payments import PaymentsSimulator, RunWorker, accepted_offer
from tests.fixtures.staff import sent_emails

from ff_shared.clock import london_today, now_utc
from ff_shared.domain import payments as rules
from ff_shared.jobs import JOB_CREATE_LMS_LOAN, JOB_SCHEDULE_COLLECTIONS, lms_loan_job_id
from ff_shared.settings import Settings


@pytest.fixture(scope="module")
async def queue(payments_settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(
        RedisSettings.from_dsn(payments_settings.redis.url),
        default_queue_name=payments_settings.redis.queue_name,
    )
    try:
        yield pool
    finally:
        await pool.aclose()


class Customer:
    def __init__(self, api: aiohttp.ClientSession, customer_id: str, email: str) -> None:
        self.api = api
        self.customer_id = customer_id
        self.email = email

    async def get(self, path: str, status: int = 200) -> Any:
        async with self.api.get(path) as response:
            assert response.status == status, await response.text()
            return await response.json()

    async def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        async with self.api.post(path, json=body) as response:
            assert response.status == status, await response.text()
            return await response.json()


@pytest.fixture
async def customer(
    served_payments_api: str, customer_token: TokenFactory, mongo_db: Any
) -> AsyncIterator[Customer]:
    email = f"payer.{uuid.uuid4().hex[:10]}@example.com"
    token = await customer_token(email)
    customer_id = subject_of(token)
    now = now_utc()
    # A whole profile, as the API's own first sight of a customer writes it (other tests of the
    # session list customers).
    await mongo_db.customers.insert_one(
        {"_id": customer_id, "email": email, "version": 1, "created_at": now, "updated_at": now}
    )
    async with aiohttp.ClientSession(base_url=served_payments_api, headers=bearer(token)) as api:
        yield Customer(api, customer_id, email)


async def _accept(queue: ArqRedis, application_id: str) -> None:
    """What accepting the offer enqueues: the loan's booking in the LMS."""
    await queue.enqueue_job(
        JOB_CREATE_LMS_LOAN, application_id=application_id, _job_id=lms_loan_job_id(application_id)
    )


async def _funded_loan(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    sim: PaymentsSimulator,
    run_worker: RunWorker,
) -> str:
    application_id = await accepted_offer(mongo_db, customer.customer_id)
    mandate = await customer.post(f"/v1/applications/{application_id}/mandate")
    await _accept(queue, application_id)
    await sim.complete(mandate["authorisation_url"])
    await run_worker()
    state = await sim.state()
    mandate_id = next(
        m["id"] for m in state["mandates"] if m["metadata"]["application_id"] == application_id
    )
    await sim.advance(mandate_id, to="active")
    await run_worker()
    [loan] = (await customer.get("/v1/loans"))["items"]
    return str(loan["id"])


async def _schedule(queue: ArqRedis, run_worker: RunWorker, today: date) -> None:
    await queue.enqueue_job(JOB_SCHEDULE_COLLECTIONS, today=today.isoformat())
    await run_worker()


async def _due_dates(customer: Customer, loan_id: str) -> list[date]:
    schedule = await customer.get(f"/v1/loans/{loan_id}/schedule")
    return [date.fromisoformat(i["due_date"]) for i in schedule["instalments"]]


async def _provider_payment(sim: PaymentsSimulator, loan_id: str, instalment: int) -> str:
    state = await sim.state()
    return str(
        next(
            p["id"]
            for p in state["payments"]
            if p["metadata"].get("loan_id") == loan_id
            and p["metadata"].get("instalment") == str(instalment)
        )
    )


async def test_the_loan_is_funded_only_once_the_direct_debit_mandate_is_active(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
) -> None:
    application_id = await accepted_offer(mongo_db, customer.customer_id)
    url = f"/v1/applications/{application_id}/mandate"
    started = await customer.post(url)
    assert started["status"] == "pending_customer_approval"
    assert started["authorisation_url"].startswith(payments_sim.url)
    assert (await customer.post(url))["authorisation_url"] == started["authorisation_url"]

    await _accept(queue, application_id)
    await run_payments_worker()
    assert (await customer.get("/v1/loans"))["items"] == []

    assert await payments_sim.complete(started["authorisation_url"]) == 200
    await run_payments_worker()
    pending = await customer.get(url)
    assert pending["status"] == "pending_submission"
    assert pending["authorisation_url"] is None
    assert (await customer.get("/v1/loans"))["items"] == []

    mandate_id = next(
        m["id"]
        for m in (await payments_sim.state())["mandates"]
        if m["metadata"]["application_id"] == application_id
    )
    await payments_sim.advance(mandate_id, to="active")
    await run_payments_worker()
    [loan] = (await customer.get("/v1/loans"))["items"]
    assert loan["application_id"] == application_id
    active = await customer.get(url)
    assert (active["status"], active["loan_id"]) == ("active", loan["id"])
    repayments = await customer.get(f"/v1/loans/{loan['id']}/repayments")
    assert repayments["mandate"]["status"] == "active"
    assert [u["instalment_number"] for u in repayments["upcoming"]] == [1, 2, 3]
    first = repayments["upcoming"][0]
    assert (
        first["charge_date"]
        == rules.charge_date_for(date.fromisoformat(first["due_date"])).isoformat()
    )
    assert repayments["payments"] == []


async def test_a_refused_mandate_funds_nothing_and_the_customer_can_start_again(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
) -> None:
    application_id = await accepted_offer(mongo_db, customer.customer_id)
    url = f"/v1/applications/{application_id}/mandate"
    started = await customer.post(url)
    await payments_sim._call("POST", "/_sim/mandates/refuse", {"cause": "bank_account_closed"})
    await _accept(queue, application_id)
    await payments_sim.complete(started["authorisation_url"])
    await run_payments_worker()
    refused = await customer.get(url)
    assert (refused["status"], refused["failure_cause"]) == ("failed", "bank_account_closed")
    assert (await customer.get("/v1/loans"))["items"] == []
    again = await customer.post(url)
    assert again["status"] == "pending_customer_approval"
    assert again["authorisation_url"] != started["authorisation_url"]


async def test_a_mandate_is_only_for_the_customers_own_accepted_offer(
    customer: Customer, mongo_db: Any, customer_token: TokenFactory, served_payments_api: str
) -> None:
    application_id = await accepted_offer(mongo_db, customer.customer_id)
    other = bearer(await customer_token())
    async with (
        aiohttp.ClientSession(base_url=served_payments_api, headers=other) as api,
        api.post(f"/v1/applications/{application_id}/mandate") as response,
    ):
        assert response.status == 404
        assert (await response.json())["code"] == "not_found"
    await mongo_db.applications.update_one({"_id": application_id}, {"$set": {"status": "offered"}})
    problem = await customer.post(f"/v1/applications/{application_id}/mandate", status=409)
    assert problem["code"] == "mandate_not_available"


async def test_collections_are_taken_ahead_of_due_dates_and_booked_on_confirmation(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
) -> None:
    loan_id = await _funded_loan(customer, mongo_db, queue, payments_sim, run_payments_worker)
    due = await _due_dates(customer, loan_id)
    before = await customer.get(f"/v1/loans/{loan_id}")

    # Too early: nothing yet. On the submission date: the first instalment only, once.
    await _schedule(
        queue, run_payments_worker, rules.submission_date_for(due[0]) - timedelta(days=10)
    )
    assert (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"] == []
    for _ in range(2):
        await _schedule(queue, run_payments_worker, rules.submission_date_for(due[0]))
    [collection] = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    assert collection["kind"] == "collection"
    assert collection["instalment_number"] == 1
    assert collection["amount_pence"] == before["instalment_pence"]
    assert collection["charge_date"] == rules.charge_date_for(due[0]).isoformat()
    assert (collection["state"], collection["recorded_in_loan_book"]) == ("pending", False)

    provider_id = await _provider_payment(payments_sim, loan_id, 1)
    await payments_sim.advance(provider_id, to="submitted")
    await run_payments_worker()
    assert (await customer.get(f"/v1/loans/{loan_id}"))["balance_pence"] == before["balance_pence"]

    await payments_sim.advance(provider_id, to="confirmed")
    await run_payments_worker()
    after = await customer.get(f"/v1/loans/{loan_id}")
    assert after["balance_pence"] == before["balance_pence"] - before["instalment_pence"]
    [collection] = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    assert (collection["state"], collection["recorded_in_loan_book"]) == ("confirmed", True)
    newest = (await customer.get(f"/v1/loans/{loan_id}/transactions"))["items"][0]
    assert (newest["type"], newest["amount_pence"]) == ("payment", before["instalment_pence"])
    schedule = await customer.get(f"/v1/loans/{loan_id}/schedule")
    assert schedule["instalments"][0]["status"] == "paid"


async def test_a_failed_collection_is_retried_only_when_the_rules_allow_and_shows_as_arrears(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    staff_token: TokenFactory,
    ses_sender: str,
    moto_url: str,
    served_payments_api: str,
) -> None:
    loan_id = await _funded_loan(customer, mongo_db, queue, payments_sim, run_payments_worker)
    due = await _due_dates(customer, loan_id)
    before = await customer.get(f"/v1/loans/{loan_id}")
    await _schedule(queue, run_payments_worker, rules.submission_date_for(due[0]))
    provider_id = await _provider_payment(payments_sim, loan_id, 1)
    await payments_sim.advance(provider_id, to="submitted")

    # Refused for funds: Bacs allows a re-presentation, so it is collected again.
    await payments_sim.fail(provider_id, cause="insufficient_funds")
    await run_payments_worker()
    [retried] = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    assert retried["state"] == "pending"
    sim_payment = next(
        p for p in (await payments_sim.state())["payments"] if p["id"] == provider_id
    )
    assert sim_payment["status"] == "pending_submission"

    # The account is closed: never collected again; arrears for the customer and for staff.
    await payments_sim.fail(provider_id, cause="bank_account_closed")
    await run_payments_worker()
    [failed] = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    assert (failed["state"], failed["recorded_in_loan_book"]) == ("failed", False)
    repayments = await customer.get(f"/v1/loans/{loan_id}/repayments")
    assert repayments["failed_collections_pence"] == before["instalment_pence"]
    assert repayments["balance_pence"] == before["balance_pence"]
    # The loan book notes each presentation returned unpaid; the instalment is in arrears there
    # now, though its due date has not passed.
    assert repayments["arrears_pence"] == before["instalment_pence"]
    loan = await customer.get(f"/v1/loans/{loan_id}")
    assert (loan["arrears_pence"], loan["status"]) == (before["instalment_pence"], "arrears")
    notes = [
        t["reference"]
        for t in (await customer.get(f"/v1/loans/{loan_id}/transactions"))["items"]
        if t["type"] == "unpaid_collection"
    ]
    assert sorted(notes) == [f"FFRTN-{provider_id}-0", f"FFRTN-{provider_id}-1"]
    sim_payment = next(
        p for p in (await payments_sim.state())["payments"] if p["id"] == provider_id
    )
    assert sim_payment["status"] == "failed"

    staff = bearer(await staff_token("operations"))
    async with aiohttp.ClientSession(base_url=served_payments_api, headers=staff) as api:
        async with api.get("/v1/staff/payments/failed", params={"limit": 100}) as response:
            assert response.status == 200
            queue_items = (await response.json())["items"]
        mine = [i for i in queue_items if i["loan_id"] == loan_id]
        assert [(i["failure_cause"], i["retries"], i["state"]) for i in mine] == [
            ("bank_account_closed", 1, "failed")
        ]
        async with api.get(f"/v1/staff/loans/{loan_id}/repayments") as response:
            assert response.status == 200
            detail = await response.json()
        assert detail["failed_collections_pence"] == before["instalment_pence"]
        assert detail["arrears_pence"] == before["instalment_pence"]
        assert detail["payments_detail"][0]["provider_payment_id"] == provider_id

    messages = sent_emails(moto_url, customer.email)
    assert [m["subject"] for m in messages] == ["We could not collect your loan payment"] * 2
    assert all(loan_id in str(m.get("body", "")) for m in messages)


async def test_a_breathing_space_pauses_collections_and_a_payment_plan_reduces_them(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    staff_token: TokenFactory,
    served_payments_api: str,
) -> None:
    loan_id = await _funded_loan(customer, mongo_db, queue, payments_sim, run_payments_worker)
    due = await _due_dates(customer, loan_id)
    told = await customer.post(
        f"/v1/loans/{loan_id}/difficulty",
        {"kind": "financial_difficulty", "message": "I lost my job"},
        status=201,
    )
    assert told["status"] == "open"
    missing = await customer.post(
        f"/v1/loans/{loan_id}/difficulty", {"kind": "collection_date"}, status=422
    )
    assert missing["errors"][0]["path"] == "preferred_day"

    staff = bearer(await staff_token("operations"))
    analyst = bearer(await staff_token("analyst"))
    base = served_payments_api
    space = {
        "kind": "breathing_space",
        "starts_on": london_today().isoformat(),
        "ends_on": (due[1] + timedelta(days=1)).isoformat(),
        "note": "debt advice referral",
    }
    async with (
        aiohttp.ClientSession(base_url=base, headers=analyst) as api,
        api.post(f"/v1/staff/loans/{loan_id}/arrangements", json=space) as refused,
    ):
        assert refused.status == 403
    async with aiohttp.ClientSession(base_url=base, headers=staff) as api:
        async with api.get("/v1/staff/payments/difficulty-requests") as response:
            assert told["id"] in [r["id"] for r in (await response.json())["items"]]
        async with api.post(f"/v1/staff/loans/{loan_id}/arrangements", json=space) as agreed:
            assert agreed.status == 201, await agreed.text()
            arrangement = await agreed.json()
        bad = {"kind": "payment_plan", "starts_on": london_today().isoformat()}
        async with api.post(f"/v1/staff/loans/{loan_id}/arrangements", json=bad) as invalid:
            assert invalid.status == 422
            assert (await invalid.json())["errors"][0]["path"] == "instalment_pence"

        for instalment in (0, 1):
            await _schedule(queue, run_payments_worker, rules.submission_date_for(due[instalment]))
        assert (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"] == []
        upcoming = (await customer.get(f"/v1/loans/{loan_id}/repayments"))["upcoming"]
        assert [(u["instalment_number"], u["paused"]) for u in upcoming[:2]] == [
            (1, True),
            (2, True),
        ]
        assert upcoming[0]["amount_pence"] == 0

        async with api.post(
            f"/v1/staff/loans/{loan_id}/arrangements/{arrangement['id']}/end"
        ) as ended:
            assert ended.status == 200
        plan = {
            "kind": "payment_plan",
            "starts_on": london_today().isoformat(),
            "ends_on": (due[3] + timedelta(days=1)).isoformat(),
            "instalment_pence": 2_000,
        }
        async with api.post(f"/v1/staff/loans/{loan_id}/arrangements", json=plan) as agreed:
            assert agreed.status == 201

    await _schedule(queue, run_payments_worker, rules.submission_date_for(due[1]))
    collections = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    # The instalment missed in the breathing space is not collected behind the customer's
    # back; the next one is, at the plan's amount.
    assert [(c["instalment_number"], c["amount_pence"]) for c in collections] == [(2, 2_000)]
    audit_actions = await mongo_db.audit_events.distinct("action", {"target.id": loan_id})
    assert set(audit_actions) >= {"loan.arrangement_agreed", "loan.arrangement_ended"}


async def test_operations_run_the_collections_on_demand(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    staff_token: TokenFactory,
    served_payments_api: str,
) -> None:
    loan_id = await _funded_loan(customer, mongo_db, queue, payments_sim, run_payments_worker)
    due = await _due_dates(customer, loan_id)
    run = {"today": rules.submission_date_for(due[0]).isoformat()}
    underwriter = bearer(await staff_token("underwriter"))
    operations = bearer(await staff_token("operations"))
    url = "/v1/staff/payments/collections/run"
    async with aiohttp.ClientSession(base_url=served_payments_api) as api:
        async with api.post(url, json=run, headers=underwriter) as refused:
            assert refused.status == 403
        async with api.post(url, json=run, headers=operations) as accepted:
            assert accepted.status == 202, await accepted.text()
            assert (await accepted.json())["today"] == run["today"]
        async with api.post(url, json={"today": "soon"}, headers=operations) as invalid:
            assert invalid.status in (400, 422)
    await run_payments_worker()
    [collection] = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    assert (collection["instalment_number"], collection["state"]) == (1, "pending")


async def test_in_a_breathing_space_a_failed_collection_is_neither_retried_nor_chased(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    staff_token: TokenFactory,
    served_payments_api: str,
    ses_sender: str,
    moto_url: str,
) -> None:
    loan_id = await _funded_loan(customer, mongo_db, queue, payments_sim, run_payments_worker)
    due = await _due_dates(customer, loan_id)
    await _schedule(queue, run_payments_worker, rules.submission_date_for(due[0]))
    provider_id = await _provider_payment(payments_sim, loan_id, 1)
    space = {"kind": "breathing_space", "starts_on": london_today().isoformat()}
    async with (
        aiohttp.ClientSession(base_url=served_payments_api) as api,
        api.post(
            f"/v1/staff/loans/{loan_id}/arrangements",
            json=space,
            headers=bearer(await staff_token("senior_underwriter")),
        ) as agreed,
    ):
        assert agreed.status == 201
        assert (await agreed.json())["ends_on"] == (
            london_today() + timedelta(days=rules.BREATHING_SPACE_DAYS - 1)
        ).isoformat()
    await payments_sim.fail(provider_id, cause="insufficient_funds")
    await run_payments_worker()
    [failed] = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    assert failed["state"] == "failed"
    sim_payment = next(
        p for p in (await payments_sim.state())["payments"] if p["id"] == provider_id
    )
    assert sim_payment["status"] == "failed"
    assert sent_emails(moto_url, customer.email) == []
    repayments = await customer.get(f"/v1/loans/{loan_id}/repayments")
    assert repayments["arrangement"]["kind"] == "breathing_space"


async def test_under_a_payment_plan_a_failed_collection_is_chased_in_the_plans_words(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    staff_token: TokenFactory,
    served_payments_api: str,
    ses_sender: str,
    moto_url: str,
) -> None:
    loan_id = await _funded_loan(customer, mongo_db, queue, payments_sim, run_payments_worker)
    due = await _due_dates(customer, loan_id)
    plan = {
        "kind": "payment_plan",
        "starts_on": london_today().isoformat(),
        "ends_on": (due[2] + timedelta(days=1)).isoformat(),
        "instalment_pence": 1_500,
    }
    async with (
        aiohttp.ClientSession(base_url=served_payments_api) as api,
        api.post(
            f"/v1/staff/loans/{loan_id}/arrangements",
            json=plan,
            headers=bearer(await staff_token("operations")),
        ) as agreed,
    ):
        assert agreed.status == 201
    await _schedule(queue, run_payments_worker, rules.submission_date_for(due[0]))
    provider_id = await _provider_payment(payments_sim, loan_id, 1)
    await payments_sim.fail(provider_id, cause="bank_account_closed")
    await run_payments_worker()
    [message] = sent_emails(moto_url, customer.email)
    assert message["subject"] == "We could not collect your payment plan instalment"
    assert "£15.00 a month" in str(message.get("body", ""))


async def test_staff_move_the_collections_to_the_day_the_customer_asked_for(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    staff_token: TokenFactory,
    served_payments_api: str,
) -> None:
    loan_id = await _funded_loan(customer, mongo_db, queue, payments_sim, run_payments_worker)
    due = await _due_dates(customer, loan_id)
    # The first collection is already with the provider: it keeps its date.
    await _schedule(queue, run_payments_worker, rules.submission_date_for(due[0]))
    day = 20 if due[1].day != 20 else 10
    asked = await customer.post(
        f"/v1/loans/{loan_id}/difficulty",
        {"kind": "collection_date", "preferred_day": day, "message": "I am paid on the 20th"},
        status=201,
    )
    url = f"/v1/staff/loans/{loan_id}/collection-day"
    analyst = bearer(await staff_token("analyst"))
    operations = bearer(await staff_token("operations"))
    async with aiohttp.ClientSession(base_url=served_payments_api) as api:
        async with api.post(url, json={"request_id": asked["id"]}, headers=analyst) as refused:
            assert refused.status == 403
        async with api.post(url, json={"day": 29}, headers=operations) as invalid:
            assert invalid.status == 422
            assert (await invalid.json())["errors"][0]["path"] == "day"
        async with api.post(url, json={"request_id": asked["id"]}, headers=operations) as agreed:
            assert agreed.status == 200, await agreed.text()
            moved = await agreed.json()
        async with api.post(url, json={"request_id": asked["id"]}, headers=operations) as again:
            assert again.status == 409
            assert (await again.json())["code"] == "difficulty_request_closed"
        async with api.get("/v1/staff/payments/difficulty-requests", headers=operations) as open_:
            assert asked["id"] not in [r["id"] for r in (await open_.json())["items"]]

    assert (moved["day"], moved["from_instalment"]) == (day, 2)
    after = await _due_dates(customer, loan_id)
    assert after[0] == due[0]
    assert after[1:] == [d.replace(day=day) for d in due[1:]]
    assert moved["due_dates"] == [d.isoformat() for d in after]
    loan = await customer.get(f"/v1/loans/{loan_id}")
    assert loan["final_payment_date"] == after[-1].isoformat()
    upcoming = (await customer.get(f"/v1/loans/{loan_id}/repayments"))["upcoming"]
    assert [u["due_date"] for u in upcoming[1:3]] == [d.isoformat() for d in after[1:3]]

    # The next collection is created for the new date.
    await _schedule(queue, run_payments_worker, rules.submission_date_for(after[1]))
    collections = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    second = next(c for c in collections if c["instalment_number"] == 2)
    assert second["charge_date"] == rules.charge_date_for(after[1]).isoformat()
    audit = await mongo_db.audit_events.find_one(
        {"target.id": loan_id, "action": "loan.collection_day_changed"}
    )
    assert audit is not None
    assert audit["customer_id"] == customer.customer_id  # before/after sealed with their key


async def test_a_collection_failing_after_confirmation_is_reversed_and_not_presented_again(
    customer: Customer,
    mongo_db: Any,
    queue: ArqRedis,
    payments_sim: PaymentsSimulator,
    run_payments_worker: RunWorker,
    ses_sender: str,
    moto_url: str,
) -> None:
    loan_id = await _funded_loan(customer, mongo_db, queue, payments_sim, run_payments_worker)
    due = await _due_dates(customer, loan_id)
    before = await customer.get(f"/v1/loans/{loan_id}")
    await _schedule(queue, run_payments_worker, rules.submission_date_for(due[0]))
    provider_id = await _provider_payment(payments_sim, loan_id, 1)
    await payments_sim.advance(provider_id, to="confirmed")
    await run_payments_worker()
    paid = await customer.get(f"/v1/loans/{loan_id}")
    assert paid["balance_pence"] == before["balance_pence"] - before["instalment_pence"]

    await payments_sim.fail(provider_id, cause="insufficient_funds")
    await run_payments_worker()
    [failed] = (await customer.get(f"/v1/loans/{loan_id}/payments"))["items"]
    assert (failed["state"], failed["reversed_in_loan_book"]) == ("failed", True)
    loan = await customer.get(f"/v1/loans/{loan_id}")
    assert loan["balance_pence"] == before["balance_pence"]
    assert (loan["arrears_pence"], loan["status"]) == (before["instalment_pence"], "arrears")
    sim_payment = next(
        p for p in (await payments_sim.state())["payments"] if p["id"] == provider_id
    )
    assert sim_payment["status"] == "failed"
    kinds = [t["type"] for t in (await customer.get(f"/v1/loans/{loan_id}/transactions"))["items"]]
    assert kinds.count("payment_reversal") == 1
    assert kinds.count("unpaid_collection") == 1
    assert len(sent_emails(moto_url, customer.email)) == 1
