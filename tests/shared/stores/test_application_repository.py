"""The application repository against the session's MongoDB: one converter, versioned writes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.domain.crm import CrmSync, CrmSyncState
from ff_shared.domain.loans import LmsSync, LmsSyncState
from ff_shared.domain.open_banking import ConsentState, OpenBankingConsent
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.domain.review import Assignment, StaffRef
from ff_shared.errors import ApplicationLocked, NotFound, StaleVersion
from ff_shared.stores.mongo.applications import (
    ApplicationRepository,
    document_from_record,
    record_from_document,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
STAFF = StaffRef(id="staff-1", username="underwriter@example.com")


@pytest.fixture
def repository(mongo_db: AsyncDatabase[dict[str, Any]]) -> ApplicationRepository:
    return ApplicationRepository(mongo_db)


async def _draft(repository: ApplicationRepository) -> ApplicationRecord:
    return await repository.create(f"cust-{uuid.uuid4().hex}", NOW)


def test_a_record_survives_the_round_trip_through_its_document() -> None:
    record = ApplicationRecord(
        id="app-1",
        reference="FF-ABCDEFGH",
        customer_id="cust-1",
        status=ApplicationStatus.IN_REVIEW,
        version=3,
        steps={"loan": {"amount_pence": 100_000}},
        created_at=NOW,
        updated_at=NOW,
        assigned_to=Assignment(staff=STAFF, assigned_by=STAFF, assigned_at=NOW),
    )
    document = document_from_record(record)
    assert document["_id"] == "app-1"
    assert "id" not in document
    assert document["assigned_to"]["assigned_at"] == NOW, "datetimes stay BSON dates"
    assert record_from_document(document) == record


async def test_a_new_draft_is_found_only_by_its_customer(
    repository: ApplicationRepository,
) -> None:
    draft = await _draft(repository)
    assert draft.status is ApplicationStatus.DRAFT
    assert draft.version == 1
    assert await repository.get(draft.id, customer_id=draft.customer_id) == draft
    assert await repository.find(draft.id, customer_id="someone-else") is None
    with pytest.raises(NotFound):
        await repository.get(draft.id, customer_id="someone-else")


async def test_a_save_over_the_version_read_lands_and_a_stale_one_is_refused(
    repository: ApplicationRepository,
) -> None:
    draft = await _draft(repository)
    later = NOW + timedelta(minutes=5)
    saved = await repository.save(
        msgspec.structs.replace(draft, updated_at=later), expected_version=1
    )
    assert saved.version == 2
    assert (await repository.get(draft.id)).updated_at == later
    with pytest.raises(StaleVersion):
        await repository.save(draft, expected_version=1)
    with pytest.raises(StaleVersion):
        await repository.get(draft.id, expected_version=1)
    assert (await repository.get(draft.id)).version == 2


async def test_fields_the_record_does_not_know_are_kept_on_a_write(
    repository: ApplicationRepository, mongo_db: AsyncDatabase[dict[str, Any]]
) -> None:
    draft = await _draft(repository)
    await mongo_db["applications"].update_one({"_id": draft.id}, {"$set": {"legacy": "kept"}})
    sync = CrmSync(state=CrmSyncState.SYNCED, attempts=1, updated_at=NOW)
    written = await repository.record_crm_sync(draft.id, sync)
    assert written.crm == sync
    assert (written.version, written.updated_at) == (draft.version, draft.updated_at)
    stored = await mongo_db["applications"].find_one({"_id": draft.id})
    assert stored is not None
    assert stored["legacy"] == "kept"


async def test_a_step_is_saved_on_a_draft_only(repository: ApplicationRepository) -> None:
    draft = await _draft(repository)
    saved = await repository.save_step(
        draft.id,
        customer_id=draft.customer_id,
        step="loan",
        data={"amount_pence": 100_000},
        expected_version=None,
        now=NOW,
    )
    assert saved.steps == {"loan": {"amount_pence": 100_000}}
    submitted = await repository.record_submission(
        draft.id,
        customer_id=draft.customer_id,
        expected_version=saved.version,
        status=ApplicationStatus.IN_REVIEW,
        decision={"outcome": "refer"},
        idempotency_key=None,
        now=NOW,
    )
    assert submitted is not None
    assert submitted.status is ApplicationStatus.IN_REVIEW
    with pytest.raises(ApplicationLocked):
        await repository.save_step(
            draft.id,
            customer_id=draft.customer_id,
            step="loan",
            data={"amount_pence": 50_000},
            expected_version=submitted.version,
            now=NOW,
        )


async def test_bookkeeping_between_a_read_and_a_save_neither_stales_it_nor_is_undone(
    repository: ApplicationRepository,
) -> None:
    draft = await _draft(repository)
    seen = await repository.get(draft.id)
    sync = CrmSync(state=CrmSyncState.SYNCED, attempts=1, updated_at=NOW)
    await repository.record_crm_sync(draft.id, sync)
    await repository.record_lms_sync(draft.id, LmsSync(state=LmsSyncState.CREATING, updated_at=NOW))
    assert (await repository.get(draft.id)).version == seen.version
    later = NOW + timedelta(minutes=5)
    saved = await repository.save(
        msgspec.structs.replace(seen, steps={"loan": {"amount_pence": 1}}, updated_at=later),
        expected_version=seen.version,
    )
    assert (saved.version, saved.updated_at) == (seen.version + 1, later)
    assert saved.crm == sync, "the save wrote back neither its stale crm nor its stale lms"
    assert saved.lms is not None
    assert await repository.get(draft.id) == saved


async def test_a_version_write_moves_updated_at_even_when_the_caller_did_not(
    repository: ApplicationRepository,
) -> None:
    draft = await _draft(repository)
    saved = await repository.save(
        msgspec.structs.replace(draft, steps={"loan": {"amount_pence": 1}}),
        expected_version=draft.version,
    )
    assert saved.version == draft.version + 1
    assert saved.updated_at > draft.updated_at


async def test_a_consent_polled_between_a_read_and_a_save_keeps_its_progress(
    repository: ApplicationRepository,
) -> None:
    draft = await _draft(repository)
    consent = OpenBankingConsent(
        state=ConsentState.AWAITING_AUTHORISATION,
        reference="obv-1",
        authorisation_url="https://bank.example/authorise",
        started_at=NOW,
        updated_at=NOW,
    )
    started = await repository.save(
        msgspec.structs.replace(draft, open_banking=consent), expected_version=draft.version
    )
    later = NOW + timedelta(minutes=1)
    assert await repository.record_consent_progress(
        draft.id, reference="obv-1", state=ConsentState.AUTHORISED, last_error=None, now=later
    )
    assert not await repository.record_consent_progress(
        draft.id, reference="obv-other", state=ConsentState.AUTHORISED, last_error=None, now=later
    )
    polled = await repository.get(draft.id)
    assert (polled.version, polled.updated_at) == (started.version, started.updated_at)
    saved = await repository.save(
        msgspec.structs.replace(started, steps={"loan": {"amount_pence": 1}}),
        expected_version=started.version,
    )
    assert saved.open_banking is not None
    assert saved.open_banking.state is ConsentState.AUTHORISED
