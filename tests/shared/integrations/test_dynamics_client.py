"""The Dynamics 365 client against the Dataverse simulator over loopback."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import aiohttp
import msgspec
import pytest
from tests.fixtures.dynamics import DynamicsSimulator

from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.odata import Query, literal
from ff_shared.integrations.dynamics.schemas import (
    CONTACTS,
    LOAN_APPLICATIONS,
    ApplicationStatusChoice,
    Contact,
    ContactWrite,
    LoanApplication,
    LoanApplicationWrite,
    contact_bind,
)
from ff_shared.integrations.errors import (
    AuthenticationFailed,
    MalformedResponse,
    PreconditionFailed,
    RequestRejected,
    ResourceNotFound,
    RetryDeadlineExceeded,
    UpstreamThrottled,
    UpstreamUnavailable,
)
from ff_shared.settings import DynamicsSettings

UpsertMode = Literal["alternate_key", "query"]


def _id() -> str:
    return str(uuid.uuid4())


def _application(platform_id: str, **overrides: Any) -> LoanApplicationWrite:
    fields: dict[str, Any] = {
        "ff_platformid": platform_id,
        "ff_name": "FF-" + platform_id[:8].upper(),
        "ff_applicationstatus": ApplicationStatusChoice.IN_REVIEW,
        "ff_requestedamountpence": 100_000,
        "ff_requestedtermmonths": 12,
    }
    fields.update(overrides)
    return LoanApplicationWrite(**fields)


@pytest.fixture
async def quick(
    dynamics_settings: DynamicsSettings, dynamics_sim: DynamicsSimulator
) -> AsyncIterator[DynamicsClient]:
    """A client whose calls give up after about two seconds."""
    await dynamics_sim.clear_faults()
    settings = msgspec.structs.replace(
        dynamics_settings, timeout_seconds=0.5, retry_deadline_seconds=2.0
    )
    async with aiohttp.ClientSession() as session:
        yield DynamicsClient(session, settings)
    await dynamics_sim.clear_faults()


async def test_create_answers_204_with_the_new_rows_id(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = _id()
    row_id = await dynamics.create(
        CONTACTS, ContactWrite(ff_platformid=platform_id, lastname="Nowak")
    )
    seq = await dynamics_sim.last_seq()
    created = [r for r in await dynamics_sim.requests(seq - 1) if r["method"] == "POST"]
    assert created[-1]["status"] == 204
    contact = await dynamics.get_contact(platform_id)
    assert contact is not None
    assert contact.contactid == row_id
    assert contact.lastname == "Nowak"
    assert contact.etag.startswith('W/"')


async def test_paging_follows_next_links_through_several_pages(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    marker = uuid.uuid4().hex[:10]
    base = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    rows = [
        {
            "ff_platformid": f"{marker}-{n:02d}",
            "ff_name": f"FF-{n:02d}",
            "ff_applicationstatus": int(ApplicationStatusChoice.IN_REVIEW),
            "ff_obvreference": None if n % 4 == 0 else f"OBV-{marker}-{n}",
            "modifiedon": (base + timedelta(minutes=23 - n)).isoformat(),
        }
        for n in range(24)
    ]
    await dynamics_sim.seed(LOAN_APPLICATIONS, rows)
    before = await dynamics_sim.last_seq()
    query = Query(
        select=("ff_platformid", "ff_obvreference", "modifiedon"),
        filter=f"ff_obvreference ne null and startswith(ff_platformid,{literal(marker)})",
        orderby="modifiedon asc",
    )
    pages = [
        p async for p in dynamics.pages(LOAN_APPLICATIONS, LoanApplication, query, page_size=5)
    ]
    seen = [row for page in pages for row in page.rows]
    assert [len(p.rows) for p in pages] == [5, 5, 5, 3]
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert pages[-1].next_link is None
    expected = sorted((r for r in rows if r["ff_obvreference"]), key=lambda r: r["modifiedon"])
    assert [r.ff_platformid for r in seen] == [r["ff_platformid"] for r in expected]
    assert all(r.ff_name is None for r in seen), "$select limited the columns"
    served = [
        r for r in await dynamics_sim.requests(before) if r["path"].endswith(LOAN_APPLICATIONS)
    ]
    assert len(served) == 4
    assert all(r["headers"]["prefer"].startswith("odata.maxpagesize=5") for r in served)
    assert "$skiptoken" not in served[0]["query"]
    for page, request in zip(pages[:-1], served[1:], strict=True):
        assert page.next_link is not None
        assert page.next_link.endswith(request["query"].split("$skiptoken=")[1])


async def test_the_archivers_incremental_read_sees_only_rows_changed_after_the_watermark(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    marker = uuid.uuid4().hex[:10]
    # In the past, so no later reader of the session's shared simulator sees these as new.
    watermark = datetime(2001, 1, 1, tzinfo=UTC) + timedelta(days=int(marker, 16) % 1000)
    rows = [
        {
            "ff_platformid": f"{marker}-{n}",
            "ff_name": f"FF-{n}",
            "ff_applicationstatus": int(ApplicationStatusChoice.IN_REVIEW),
            "ff_obvreference": f"OBV-{n}" if n != 3 else None,
            "modifiedon": (watermark + timedelta(seconds=n - 2)).isoformat(),
        }
        for n in range(7)
    ]
    await dynamics_sim.seed(LOAN_APPLICATIONS, rows)
    found = [
        row
        async for page in dynamics.applications_with_obv_reference(
            modified_after=watermark, page_size=2
        )
        for row in page.rows
        if row.ff_platformid and row.ff_platformid.startswith(marker)
    ]
    assert [r.ff_platformid for r in found] == [f"{marker}-{n}" for n in (4, 5, 6)]
    assert all(r.modifiedon is not None and r.modifiedon > watermark for r in found)


async def test_top_limits_the_rows_returned(dynamics: DynamicsClient) -> None:
    marker = uuid.uuid4().hex[:10]
    for n in range(4):
        await dynamics.upsert_contact(ContactWrite(ff_platformid=f"{marker}-{n}", lastname=marker))
    rows = [
        r
        async for r in dynamics.rows(
            CONTACTS, Contact, Query(filter=f"lastname eq {literal(marker)}", top=3)
        )
    ]
    assert len(rows) == 3


async def test_a_new_token_is_fetched_before_the_old_one_expires(
    dynamics_settings: DynamicsSettings, dynamics_sim: DynamicsSimulator
) -> None:
    await dynamics_sim.configure(token_lifetime_seconds=3)
    settings = msgspec.structs.replace(dynamics_settings, token_refresh_margin_seconds=1.5)
    try:
        async with aiohttp.ClientSession() as session:
            client = DynamicsClient(session, settings)
            counts = await dynamics_sim.token_counts()
            platform_id = _id()
            await client.upsert_contact(ContactWrite(ff_platformid=platform_id, lastname="A"))
            await client.get_contact(platform_id)
            assert client.tokens_fetched == 1, "a fresh token is reused"
            await asyncio.sleep(1.7)
            await client.get_contact(platform_id)
            after = await dynamics_sim.token_counts()
    finally:
        await dynamics_sim.configure(token_lifetime_seconds=3599)
    assert client.tokens_fetched == 2
    assert after["issued"] - counts["issued"] == 2
    assert after["rejected"] == counts["rejected"], "no request was sent with an expired token"


async def test_a_revoked_token_is_replaced_and_the_call_retried_once(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = _id()
    await dynamics.upsert_contact(ContactWrite(ff_platformid=platform_id, lastname="B"))
    await dynamics_sim.revoke_tokens()
    contact = await dynamics.get_contact(platform_id)
    assert contact is not None
    assert dynamics.tokens_fetched == 2


async def test_a_wrong_client_secret_is_a_permanent_authentication_failure(
    dynamics_settings: DynamicsSettings,
) -> None:
    settings = msgspec.structs.replace(dynamics_settings, client_secret="not-the-secret")
    async with aiohttp.ClientSession() as session:
        client = DynamicsClient(session, settings)
        with pytest.raises(AuthenticationFailed) as raised:
            await client.get_contact(_id())
    assert not raised.value.retryable
    assert "not-the-secret" not in str(raised.value)


async def test_update_with_a_stale_etag_is_precondition_failed(
    dynamics: DynamicsClient,
) -> None:
    platform_id = _id()
    row_id = await dynamics.create(
        LOAN_APPLICATIONS, _application(platform_id, ff_decisionversion=1)
    )
    first = await dynamics.get_loan_application(platform_id)
    assert first is not None
    await dynamics.update(
        LOAN_APPLICATIONS,
        row_id,
        _application(platform_id, ff_decisionversion=2),
        if_match=first.etag,
    )
    with pytest.raises(PreconditionFailed):
        await dynamics.update(
            LOAN_APPLICATIONS,
            row_id,
            _application(platform_id, ff_decisionversion=3),
            if_match=first.etag,
        )
    latest = await dynamics.get_loan_application(platform_id)
    assert latest is not None
    assert latest.ff_decisionversion == 2
    assert latest.etag != first.etag


@pytest.mark.parametrize("mode", ["alternate_key", "query"])
async def test_upsert_twice_leaves_one_row_with_the_latest_values(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator, mode: UpsertMode
) -> None:
    if mode == "query":
        await dynamics_sim.configure(alternate_keys=False)
    try:
        platform_id = _id()
        contact = await dynamics.upsert(
            CONTACTS,
            ContactWrite(ff_platformid=f"c-{platform_id}", lastname="C"),
            platform_id=f"c-{platform_id}",
            mode=mode,
        )
        body = _application(platform_id, contact_bind=contact_bind(contact.id))
        first = await dynamics.upsert(LOAN_APPLICATIONS, body, platform_id=platform_id, mode=mode)
        again = await dynamics.upsert(
            LOAN_APPLICATIONS,
            _application(
                platform_id, ff_obvreference="OBV-X", contact_bind=contact_bind(contact.id)
            ),
            platform_id=platform_id,
            mode=mode,
        )
    finally:
        await dynamics_sim.configure(alternate_keys=True)
    assert again.id == first.id
    rows = [
        r for r in await dynamics_sim.rows(LOAN_APPLICATIONS) if r["ff_platformid"] == platform_id
    ]
    assert len(rows) == 1
    assert rows[0]["ff_obvreference"] == "OBV-X"
    assert rows[0]["_ff_contact_value"] == contact.id
    if mode == "query":
        assert (first.created, again.created) == (True, False)


async def test_429_waits_as_long_as_retry_after_asks_then_succeeds(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = _id()
    await dynamics.upsert_contact(ContactWrite(ff_platformid=platform_id, lastname="D"))
    before = await dynamics_sim.last_seq()
    await dynamics_sim.fault("rate_limit", retry_after="2", path_contains=platform_id)
    started = time.monotonic()
    contact = await dynamics.get_contact(platform_id)
    elapsed = time.monotonic() - started
    assert contact is not None
    served = [r for r in await dynamics_sim.requests(before) if platform_id in r["path"]]
    assert [r["status"] for r in served] == [429, 200]
    assert served[1]["started"] - served[0]["finished"] >= 1.95
    assert elapsed >= 2.0


async def test_429_asking_for_longer_than_the_deadline_is_raised_with_its_wait(
    quick: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    await dynamics_sim.fault("rate_limit", retry_after="120", path_contains="ff_platformid")
    started = time.monotonic()
    with pytest.raises(UpstreamThrottled) as raised:
        await quick.get_contact(_id())
    assert raised.value.retry_after == 120
    assert raised.value.retryable
    assert time.monotonic() - started < 1.0, "it did not sit out a wait past its deadline"


async def test_5xx_is_retried_with_backoff_until_it_succeeds(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = _id()
    await dynamics.upsert_contact(ContactWrite(ff_platformid=platform_id, lastname="E"))
    before = await dynamics_sim.last_seq()
    await dynamics_sim.fault("status", status=503, times=2, path_contains=platform_id)
    contact = await dynamics.get_contact(platform_id)
    assert contact is not None
    served = [r for r in await dynamics_sim.requests(before) if platform_id in r["path"]]
    assert [r["status"] for r in served] == [503, 503, 200]
    gaps = [b["started"] - a["finished"] for a, b in itertools.pairwise(served)]
    assert all(gap >= 0.09 for gap in gaps), gaps


async def test_5xx_until_the_deadline_is_a_typed_retryable_error(
    quick: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = _id()
    await dynamics_sim.fault("status", status=502, times=None, path_contains=platform_id)
    started = time.monotonic()
    with pytest.raises(RetryDeadlineExceeded) as raised:
        await quick.get_contact(platform_id)
    elapsed = time.monotonic() - started
    assert raised.value.retryable
    assert raised.value.attempts >= 3
    assert isinstance(raised.value.last, UpstreamUnavailable)
    assert raised.value.last.status == 502
    assert elapsed <= 2.0 + 0.5


async def test_a_slow_answer_times_out_and_is_retried(
    quick: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = _id()
    await quick.upsert_contact(ContactWrite(ff_platformid=platform_id, lastname="F"))
    before = await dynamics_sim.last_seq()
    await dynamics_sim.fault("slow", delay_seconds=1.5, path_contains=platform_id)
    contact = await quick.get_contact(platform_id)
    assert contact is not None
    served = [r for r in await dynamics_sim.requests(before) if platform_id in r["path"]]
    assert len(served) == 2
    assert served[0]["fault"] == "slow"


async def test_a_dropped_connection_on_a_read_is_retried(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = _id()
    await dynamics.upsert_contact(ContactWrite(ff_platformid=platform_id, lastname="G"))
    await dynamics_sim.fault("drop", path_contains=platform_id)
    assert await dynamics.get_contact(platform_id) is not None


async def test_a_create_whose_connection_dropped_is_not_sent_again(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = _id()
    await dynamics_sim.fault(
        "drop", method="POST", path_contains="/contacts", after_processing=True
    )
    with pytest.raises(UpstreamUnavailable) as raised:
        await dynamics.create(CONTACTS, ContactWrite(ff_platformid=platform_id, lastname="H"))
    assert raised.value.retryable
    rows = [r for r in await dynamics_sim.rows(CONTACTS) if r["ff_platformid"] == platform_id]
    assert len(rows) == 1, "the CRM committed it once and the client did not repeat it"


@pytest.mark.parametrize("body", ["truncated", "wrong_shape", "html"])
async def test_a_malformed_page_is_rejected_with_its_raw_body(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator, body: str
) -> None:
    marker = uuid.uuid4().hex[:10]
    for n in range(3):
        await dynamics.upsert_contact(ContactWrite(ff_platformid=f"{marker}-{n}", lastname=marker))
    await dynamics_sim.fault("malformed", body=body, path_contains="skiptoken")
    query = Query(filter=f"lastname eq {literal(marker)}")
    received: list[Contact] = []

    async def read_all() -> None:
        async for page in dynamics.pages(CONTACTS, Contact, query, page_size=2):
            received.extend(page.rows)

    with pytest.raises(MalformedResponse) as raised:
        await read_all()
    assert len(received) == 2, "the good first page was delivered, nothing from the bad one"
    assert raised.value.raw
    assert raised.value.retryable


async def test_a_write_answered_without_an_entity_id_is_malformed(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    await dynamics_sim.fault(
        "malformed", method="PATCH", body="html", path_contains="/contacts", after_processing=True
    )
    with pytest.raises(MalformedResponse):
        await dynamics.upsert_contact(ContactWrite(ff_platformid=_id(), lastname="I"))


async def test_an_unsupported_query_is_rejected_with_dataverses_message(
    dynamics: DynamicsClient,
) -> None:
    with pytest.raises(RequestRejected) as raised:
        async for _ in dynamics.rows(CONTACTS, Contact, Query(filter="nosuchcolumn eq 1")):
            pass
    assert raised.value.status == 400
    assert "nosuchcolumn" in raised.value.detail
    assert not raised.value.retryable


async def test_a_lookup_to_a_missing_contact_is_refused(dynamics: DynamicsClient) -> None:
    with pytest.raises(ResourceNotFound) as raised:
        await dynamics.upsert_loan_application(
            _application(_id(), contact_bind=contact_bind(str(uuid.uuid4())))
        )
    assert not raised.value.retryable
