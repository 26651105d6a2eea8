"""The application aggregate's repository: every MongoDB read and write of an application.

The API and every worker use :class:`ApplicationRepository`, built on the database handle its
caller opened, and see only :class:`ApplicationRecord`s — one converter between the stored
document and the record.

``version`` (and ``updated_at`` with it) moves only when something a customer or a reviewer can
see and act on changes. Such writes are conditioned on the version read (a concurrent writer's
change is never overwritten, and BSON dates stay dates on every server) and set only the fields
the change changed: :meth:`ApplicationRepository.save` writes what the domain decided from the
version the caller saw (any other is a ``StaleVersion``); :meth:`ApplicationRepository.update`
re-reads and re-applies a change when someone else wrote in between.

Integration bookkeeping — the CRM sync's state (``crm``), the LMS booking's (``lms``) and an
open-banking consent's progress while it is polled (``open_banking.state`` while in progress,
``last_error``, ``updated_at``) — is written without touching ``version`` or ``updated_at``
(:meth:`record_crm_sync`, :meth:`record_lms_sync`, :meth:`record_consent_progress`), and version
writes never write those fields back, so a reviewer's version stays good while the integrations
run. Every write is a whole-document replacement conditioned on ``revision`` (which counts every
write, bookkeeping included), re-read and re-applied when only bookkeeping moved in between, so
neither kind of write undoes the other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.domain.crm import CrmSync
from ff_shared.domain.lifecycle import SUBMITTED
from ff_shared.domain.loans import LmsSync
from ff_shared.domain.open_banking import ConsentState
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import ApplicationLocked, NotFound, StaleVersion
from ff_shared.stores.mongo.application_changes import (
    POLLED,
    REVISION,
    builtins,
    document_from_record,
    new_id,
    new_reference,
    record_from_document,
    version_changes,
)
from ff_shared.stores.mongo.application_queue import (
    SORT_PATHS,
    Position,
    QueueFilter,
    SortKey,
    SortValue,
    queue_match,
    sort_value,
    text_clause,
)
from ff_shared.stores.mongo.documents import ApplicationDocument

__all__ = [
    "COLLECTION",
    "ApplicationRepository",
    "Position",
    "QueueFilter",
    "SortKey",
    "SortValue",
    "document_from_record",
    "new_id",
    "new_reference",
    "record_from_document",
    "sort_value",
    "text_clause",
]

Document = dict[str, Any]
Database = AsyncDatabase[Document]

COLLECTION: str = ApplicationDocument.Settings.name
_ATTEMPTS = 5


def _ensure_draft(record: ApplicationRecord) -> None:
    if record.status is not ApplicationStatus.DRAFT:
        raise ApplicationLocked(
            f"the application is {record.status.value} and can no longer be edited"
        )


class ApplicationRepository:
    """Applications in the database handed in (the caller owns its client)."""

    def __init__(self, db: Database) -> None:
        self._applications: AsyncCollection[Document] = db[COLLECTION]

    async def _find_document(self, application_id: str, customer_id: str | None) -> Document | None:
        query: Document = {"_id": application_id}
        if customer_id is not None:
            query["customer_id"] = customer_id
        return await self._applications.find_one(query)

    async def _write(self, stored: Document, changes: Document, *, bump: bool) -> Document | None:
        """Replace ``stored`` with ``changes`` applied (the next version when ``bump``) if
        nobody wrote since it was read (its ``revision``); None otherwise. Whole-document
        replacements keep BSON dates dates on every server."""
        document = {**stored, **changes, REVISION: int(stored.get(REVISION) or 0) + 1}
        if bump:
            document["version"] = int(stored.get("version", 1)) + 1
        result = await self._applications.replace_one(
            {"_id": stored["_id"], REVISION: stored.get(REVISION)}, document
        )
        return document if result.matched_count == 1 else None

    async def _replace(self, stored: Document, document: Document, expected_version: int) -> bool:
        """Write ``document``'s changes to ``stored`` at the next version only if the stored one
        is still at ``expected_version``; False when someone else wrote a version first (a
        bookkeeping write in between is kept). ``document`` becomes what is stored."""
        for _ in range(_ATTEMPTS):
            if int(stored.get("version", 1)) != expected_version:
                return False
            written = await self._write(stored, version_changes(stored, document), bump=True)
            if written is not None:
                document.clear()
                document.update(written)
                return True
            fresh = await self._find_document(stored["_id"], None)
            if fresh is None:
                return False
            stored = fresh
        return False

    async def _bookkeep(
        self, application_id: str, change: Callable[[Document], Document | None]
    ) -> bool:
        """Write the bookkeeping fields ``change`` returns for the stored document (None: none
        to write); ``version`` and ``updated_at`` stay. False when there was nothing to write."""
        for _ in range(_ATTEMPTS):
            stored = await self._find_document(application_id, None)
            if stored is None:
                raise NotFound("no such application")
            fields = change(stored)
            if fields is None:
                return False
            if await self._write(stored, fields, bump=False) is not None:
                return True
        raise StaleVersion("the application is changing too often to save; try again")

    async def _stored_version(self, application_id: str) -> int | None:
        latest = await self._applications.find_one({"_id": application_id}, {"version": 1})
        return None if latest is None else int(latest.get("version", 1))

    async def find(
        self, application_id: str, *, customer_id: str | None = None
    ) -> ApplicationRecord | None:
        document = await self._find_document(application_id, customer_id)
        return None if document is None else record_from_document(document)

    async def get(
        self,
        application_id: str,
        *,
        customer_id: str | None = None,
        expected_version: int | None = None,
    ) -> ApplicationRecord:
        """Load one application; for a customer, someone else's application does not exist.
        ``expected_version`` is the version the caller saw: any other is a stale read."""
        record = await self.find(application_id, customer_id=customer_id)
        if record is None:
            raise NotFound("no such application")
        if expected_version is not None and record.version != expected_version:
            raise StaleVersion(
                f"the application is at version {record.version}, not {expected_version}"
            )
        return record

    async def find_by_obv_reference(self, reference: str) -> ApplicationRecord | None:
        document = await self._applications.find_one({"open_banking.reference": reference})
        return None if document is None else record_from_document(document)

    async def create(self, customer_id: str, now: datetime) -> ApplicationRecord:
        record = ApplicationRecord(
            id=new_id(),
            reference=new_reference(),
            customer_id=customer_id,
            status=ApplicationStatus.DRAFT,
            version=1,
            steps={},
            created_at=now,
            updated_at=now,
        )
        await self._applications.insert_one(document_from_record(record))
        # Read back: the stored dates are what every later read will see (BSON keeps ms).
        return await self.get(record.id, customer_id=customer_id)

    async def save(self, record: ApplicationRecord, *, expected_version: int) -> ApplicationRecord:
        """Write ``record`` — what the domain decided from the application at
        ``expected_version`` — only if nobody wrote since; a ``StaleVersion`` otherwise."""
        stored = await self._find_document(record.id, None)
        if stored is None:
            raise NotFound("no such application")
        version = int(stored.get("version", 1))
        if version != expected_version:
            raise StaleVersion(f"the application is at version {version}, not {expected_version}")
        # Fields this code does not know are kept as they are.
        document = {**stored, **document_from_record(record)}
        if not await self._replace(stored, document, expected_version):
            now_at = await self._stored_version(record.id)
            raise StaleVersion(f"the application changed (now version {now_at}) while saving")
        return record_from_document(document)

    async def update(
        self,
        application_id: str,
        change: Callable[[ApplicationRecord], ApplicationRecord],
        *,
        customer_id: str | None = None,
        attempts: int = 5,
    ) -> ApplicationRecord:
        """Apply ``change`` to the latest application and write it, re-reading and re-applying
        when someone else wrote in between. ``change`` may raise to refuse."""
        for _ in range(attempts):
            stored = await self._find_document(application_id, customer_id)
            if stored is None:
                raise NotFound("no such application")
            version = int(stored.get("version", 1))
            changed = change(record_from_document(stored))
            document = {**stored, **document_from_record(changed)}
            if await self._replace(stored, document, version):
                return record_from_document(document)
        raise StaleVersion("the application is changing too often to save; try again")

    async def record_crm_sync(self, application_id: str, sync: CrmSync) -> ApplicationRecord:
        """Store ``sync`` as the application's ``crm`` state (bookkeeping: nothing else moves)."""
        await self._bookkeep(application_id, lambda _: {"crm": builtins(sync)})
        return await self.get(application_id)

    async def record_lms_sync(self, application_id: str, sync: LmsSync) -> ApplicationRecord:
        """Store ``sync`` as the application's ``lms`` state (bookkeeping: nothing else moves)."""
        await self._bookkeep(application_id, lambda _: {"lms": builtins(sync)})
        return await self.get(application_id)

    async def record_consent_progress(
        self,
        application_id: str,
        *,
        reference: str,
        state: ConsentState,
        last_error: str | None,
        now: datetime,
    ) -> bool:
        """Record the polled progress of the consent ``reference`` while it is still in progress
        (bookkeeping); False when that consent is no longer the application's current one or has
        finished."""

        def progress(stored: Document) -> Document | None:
            consent = stored.get("open_banking")
            if not isinstance(consent, dict) or consent.get("reference") != reference:
                return None
            if consent.get("state") not in POLLED:
                return None
            moved = {"state": state.value, "last_error": last_error, "updated_at": now}
            if all(consent.get(k) == v for k, v in moved.items() if k != "updated_at"):
                return None
            return {"open_banking": {**consent, **moved}}

        return await self._bookkeep(application_id, progress)

    async def save_step(
        self,
        application_id: str,
        *,
        customer_id: str,
        step: str,
        data: dict[str, Any],
        expected_version: int | None,
        now: datetime,
    ) -> ApplicationRecord:
        """Keep a validated step on a draft; without ``expected_version``, last write wins."""
        if expected_version is not None:
            current = await self.get(
                application_id, customer_id=customer_id, expected_version=expected_version
            )
            _ensure_draft(current)
            changed = msgspec.structs.replace(
                current, steps={**current.steps, step: data}, updated_at=now
            )
            return await self.save(changed, expected_version=expected_version)

        def change(current: ApplicationRecord) -> ApplicationRecord:
            _ensure_draft(current)
            return msgspec.structs.replace(
                current, steps={**current.steps, step: data}, updated_at=now
            )

        return await self.update(application_id, change, customer_id=customer_id)

    async def record_submission(
        self,
        application_id: str,
        *,
        customer_id: str,
        expected_version: int,
        status: ApplicationStatus,
        decision: dict[str, Any],
        idempotency_key: str | None,
        now: datetime,
    ) -> ApplicationRecord | None:
        """Move a draft to its decided state; ``None`` when someone else wrote first."""
        stored = await self._find_document(application_id, customer_id)
        if stored is None or stored["status"] != ApplicationStatus.DRAFT.value:
            return None
        current = record_from_document(stored)
        submitted = msgspec.structs.replace(
            current,
            status=status,
            decision=decision,
            submitted_at=now,
            updated_at=now,
            submit_idempotency_key=idempotency_key,
        )
        document = {**stored, **document_from_record(submitted)}
        if not await self._replace(stored, document, expected_version):
            return None
        return record_from_document(document)

    async def list_for_customer(
        self, customer_id: str, *, limit: int, before_id: str | None = None
    ) -> list[ApplicationRecord]:
        """Newest first; ``before_id`` is the id of the last item already seen (ids sort by
        time)."""
        query: Document = {"customer_id": customer_id}
        if before_id is not None:
            query["_id"] = {"$lt": before_id}
        cursor = self._applications.find(query).sort([("_id", -1)]).limit(limit)
        return [record_from_document(document) async for document in cursor]

    async def all_for_customer(self, customer_id: str) -> list[ApplicationRecord]:
        """Oldest first."""
        cursor = self._applications.find({"customer_id": customer_id}).sort([("_id", 1)])
        return [record_from_document(document) async for document in cursor]

    async def customer_ids_matching(
        self, clause: dict[str, Any], *, limit: int
    ) -> tuple[list[str], bool]:
        """Customers with one of the first ``limit`` applications matching ``clause``, and
        whether more applications match (``find``, not ``distinct``: the embedded MongoDB
        stand-in's ``distinct`` ignores its filter)."""
        cursor = self._applications.find(clause, {"customer_id": 1}).limit(limit + 1)
        documents = [document async for document in cursor]
        found = {str(document["customer_id"]) for document in documents[:limit]}
        return sorted(found), len(documents) > limit

    async def list_queue(
        self,
        where: QueueFilter,
        *,
        sort: SortKey,
        descending: bool,
        after: Position | None,
        limit: int,
    ) -> list[ApplicationRecord]:
        path = SORT_PATHS[sort]
        match = queue_match(where)
        if after is not None:
            beyond = "$lt" if descending else "$gt"
            match["$and"].append(
                {
                    "$or": [
                        {path: {beyond: after.value}},
                        {path: after.value, "_id": {beyond: after.id}},
                    ]
                }
            )
        order = -1 if descending else 1
        cursor = self._applications.find(match).sort([(path, order), ("_id", order)]).limit(limit)
        return [record_from_document(document) async for document in cursor]

    async def count_by_status(self, where: QueueFilter) -> dict[str, int]:
        """How many applications each submitted status holds, under every filter but status."""
        counts = {status.value: 0 for status in ApplicationStatus if status in SUBMITTED}
        pipeline: list[Document] = [
            {"$match": queue_match(where, with_status=False)},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        async for row in await self._applications.aggregate(pipeline):
            counts[str(row["_id"])] = int(row["n"])
        return counts
