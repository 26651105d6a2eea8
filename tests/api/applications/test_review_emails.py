"""Decision and request-for-information e-mails: the API enqueues, the core worker's e-mail job
(run in burst mode) sends through moto's SES, and the tests read the sent mail back from moto."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import aioboto3
import pytest
from arq import Retry
from arq.worker import Function
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.servers import REGION
from tests.fixtures.staff import (
    Applicant,
    ApplicantFactory,
    StaffFactory,
    SubmitFactory,
    act,
    sent_emails,
)
from tests.fixtures.workers import close_worker

from ff_shared.settings import Settings
from ff_workers.core import emails
from ff_workers.core.emails import send_application_email
from ff_workers.runtime import build_worker

Client = AsyncTestClient[Litestar]


class EmailWorker:
    """The core worker's e-mail job with its real start-up, alone: other jobs left on the
    session's shared queue by earlier tests are not this module's to run."""

    functions: ClassVar[list[Function]] = [emails.send_application_email_function]

    @staticmethod
    async def on_startup(ctx: dict[str, Any]) -> None:
        await emails.startup(ctx)

    @staticmethod
    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await emails.shutdown(ctx)
        await ctx["mongo_client"].close()


@pytest.fixture(scope="module")
def email_settings(settings: Settings, ses_sender: str) -> Settings:
    return settings


@pytest.fixture(scope="module")
def api(client: Client) -> Client:
    return client


async def drain(settings: Settings) -> None:
    """Run the worker until the queue has nothing left that is due."""
    worker = build_worker(EmailWorker, settings, burst=True, handle_signals=False, poll_delay=0.05)
    try:
        await worker.main()
    finally:
        await close_worker(worker)


def _only(moto_url: str, to: str) -> dict[str, Any]:
    messages = sent_emails(moto_url, to)
    assert len(messages) == 1, messages
    return messages[0]


def _private(who: Applicant) -> list[str]:
    """What the customer gave that no e-mail should repeat."""
    return [
        who.personal["last_name"],
        who.personal["date_of_birth"],
        who.personal["mobile"],
        who.address["postcode"],
        who.address["line1"],
        who.address["town"],
        who.employment["employer_name"],
        who.bank["account_number"],
        who.bank["sort_code"],
        who.login,
    ]


async def test_an_offer_email_reaches_the_customer_with_the_terms(
    api: Client,
    email_settings: Settings,
    moto_url: str,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who, via=api)
    response = await act(
        api,
        await staff_as("underwriter"),
        app["id"],
        "approve",
        amount_pence=75_000,
        term_months=10,
    )
    assert response.status_code == 200, response.text
    offer = response.json()["offer"]["offer"]
    assert sent_emails(moto_url, who.personal["email"]) == [], "nothing before the worker runs"
    await drain(email_settings)
    message = _only(moto_url, who.personal["email"])
    assert message["source"] == email_settings.email.sender
    assert app["reference"] in message["subject"]
    body = message["body"]
    assert body.startswith(f"Dear {who.personal['first_name']},")
    assert "£750.00" in body
    assert "10 months" in body
    assert f"{offer['apr_percent']:.1f}%" in body
    assert f"£{offer['total_repayable_pence'] // 100:,}." in body
    assert [v for v in _private(who) if v in body] == []


async def test_a_decline_email_never_carries_the_underwriters_note(
    api: Client,
    email_settings: Settings,
    moto_url: str,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who, via=api)
    note = f"payday-loans-{uuid.uuid4().hex[:6]} on the statement"
    response = await act(
        api,
        await staff_as("underwriter"),
        app["id"],
        "decline",
        reason_code="existing_debt_too_high",
        note=note,
    )
    assert response.status_code == 200
    await drain(email_settings)
    message = _only(moto_url, who.personal["email"])
    assert "can't offer you a loan" in message["body"]
    assert note not in message["body"]
    assert "existing_debt" not in message["body"]
    assert [v for v in _private(who) if v in message["body"]] == []


async def test_a_request_for_information_email_says_what_is_needed(
    api: Client,
    email_settings: Settings,
    moto_url: str,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who, via=api)
    needed = "Your two most recent payslips"
    response = await act(
        api, await staff_as("underwriter"), app["id"], "request-information", needed=needed
    )
    assert response.status_code == 200
    await drain(email_settings)
    message = _only(moto_url, who.personal["email"])
    assert needed in message["body"]
    assert "more information" in message["subject"]


async def test_the_engines_decline_is_emailed_on_submission(
    api: Client,
    email_settings: Settings,
    moto_url: str,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who, via=api, declarations={"insolvency": "iva"})
    assert app["status"] == "declined"
    await drain(email_settings)
    message = _only(moto_url, who.personal["email"])
    assert app["reference"] in message["subject"]
    assert "iva" not in message["body"].lower().split()


@pytest.fixture
async def ctx(email_settings: Settings, mongo_db: Any, moto_url: str) -> AsyncIterator[Any]:
    """The job's context as the worker builds it, on the test's own loop."""
    async with contextlib.AsyncExitStack() as stack:
        ses = await stack.enter_async_context(
            aioboto3.Session(region_name=REGION).client("ses", endpoint_url=moto_url)
        )
        yield {"settings": email_settings, "mongo_db": mongo_db, "ses": ses, "job_try": 1}


async def test_a_job_runs_twice_but_the_email_goes_once(
    api: Client,
    ctx: dict[str, Any],
    email_settings: Settings,
    moto_url: str,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who, via=api)
    response = await act(
        api, await staff_as("underwriter"), app["id"], "request-information", needed="a P60"
    )
    version = response.json()["version"]
    first = await send_application_email(ctx, app["id"], "information_requested", version)
    second = await send_application_email(ctx, app["id"], "information_requested", version)
    assert first["status"] == "sent"
    assert second == {"status": "already_sent"}
    await drain(email_settings)
    assert len(sent_emails(moto_url, who.personal["email"])) == 1


async def test_no_email_for_a_write_that_did_not_happen(
    api: Client,
    ctx: dict[str, Any],
    moto_url: str,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who, via=api)
    superseded = await send_application_email(ctx, app["id"], "offer_made", app["version"])
    assert superseded == {"status": "skipped", "reason": "superseded"}
    with pytest.raises(Retry):
        await send_application_email(ctx, app["id"], "offer_made", app["version"] + 1)
    last_try = {**ctx, "job_try": 6}
    gave_up = await send_application_email(last_try, app["id"], "offer_made", app["version"] + 1)
    assert gave_up == {"status": "skipped", "reason": "no_write"}
    assert sent_emails(moto_url, who.personal["email"]) == []
