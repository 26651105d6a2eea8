"""The staff review of an application shows the other applications that share its identity
hashes (as the journey tracker saw them), and nothing for an application in no cluster."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.staff import ApplicantFactory, StaffFactory, SubmitFactory, open_application

from ff_shared.clock import now_utc
from ff_shared.domain.tracking.events import IdentityKind, StampedEvent
from ff_shared.settings import Settings
from ff_shared.tracking.identity import identity_hash
from ff_workers.tracker_processor.processor import Processor

Client = AsyncTestClient[Litestar]


def _submit_event(app_id: str, n: int, hashes: dict[str, str]) -> StampedEvent:
    now = now_utc()
    return msgspec.convert(
        {
            "schema_version": 1,
            "event_id": f"evt-review-{app_id}-{n}",
            "session_id": f"sess-review-{app_id}",
            "anonymous_id": f"anon-review-{app_id}",
            "type": "form_submit",
            "form": "application",
            "client_time": now,
            "received_at": now,
            "environment": "production",
            "identity_hashes": hashes,
            "application_id": app_id,
        },
        StampedEvent,
    )


async def test_the_review_shows_an_applications_duplicates(
    client: Client,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
    tracker_pool: asyncpg.Pool,
    tracker_s3: Any,
    tracker_settings: Settings,
) -> None:
    first = await submit_application(await applicant())
    second = await submit_application(await applicant())
    alone = await submit_application(await applicant())
    shared = identity_hash(b"test-key", IdentityKind.BANK_ACCOUNT, f"{first['id']}-account")
    own = identity_hash(b"test-key", IdentityKind.EMAIL, f"{alone['id']}@example.com")
    processor = Processor(
        sqs_client=None,
        s3_client=tracker_s3,
        pool=tracker_pool,
        settings=tracker_settings.tracker,
        queue_urls=[],
    )
    await processor.write(
        [
            _submit_event(first["id"], 1, {"bank_account": shared}),
            _submit_event(second["id"], 1, {"bank_account": shared}),
            _submit_event(alone["id"], 1, {"email": own}),
        ]
    )
    underwriter = await staff_as("underwriter")
    for app in (first, second):
        detail = await open_application(client, underwriter, app["id"])
        cluster = detail["duplicates"]
        assert {m["application_id"] for m in cluster["applications"]} == {
            first["id"],
            second["id"],
        }
        assert cluster["signals"] == [
            {
                "kind": "bank_account",
                "hash_prefix": shared[:12],
                "application_ids": sorted([first["id"], second["id"]]),
            }
        ]
    assert (await open_application(client, underwriter, alone["id"]))["duplicates"] is None
