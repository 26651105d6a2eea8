"""The application aggregate's repository: every MongoDB read and write of an application.

The API and every worker use :class:`ApplicationRepository`, built on the database handle its
caller opened, and see only :class:`ApplicationRecord`s — one converter between the stored
document and the record. Writes are whole-document replacements conditioned on the version read
(a concurrent writer's change is never overwritten, and BSON dates stay dates on every server):
:meth:`ApplicationRepository.save` writes what the domain decided from the version the caller
saw (any other is a ``StaleVersion``); :meth:`ApplicationRepository.update` re-reads and
re-applies a change when someone else wrote in between (the workers' bookkeeping).

The staff queue's pages are cut on (sort value, id) — keyset pagination — so applications that
arrive while someone pages through the queue never shift, repeat or hide items on later pages.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import msgspec
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.domain.crm import CrmSync
from ff_shared.domain.lifecycle import SUBMITTED
from ff_shared.domain.loans import LmsSync
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import ApplicationLocked, NotFound, StaleVersion
from ff_shared.stores.mongo.documents import ApplicationDocument

Document = dict[str, Any]
Database = AsyncDatabase[Document]

COLLECTION: str = ApplicationDocument.Settings.name
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

SortKey = Literal["submitted_at", "amount"]
SORT_PATHS: dict[str, str] = {"submitted_at": "submitted_at", "amount": "steps.loan.amount_pence"}
SortValue = int | datetime


def new_id() -> str:
    """A UUIDv7: ids sort in creation order, so pages can be cut on the id alone."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def new_reference() -> str:
    """A short reference a customer can read over the phone (no 0/O or 1/I)."""
    return "FF-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def record_from_document(document: Document) -> ApplicationRecord:
    """The stored document as the domain sees it."""
    fields = dict(document)
    fields["id"] = fields.pop("_id")
    fields.pop("revision_id", None)
    return msgspec.convert(fields, ApplicationRecord)


def document_from_record(record: ApplicationRecord) -> Document:
    """The record as stored; datetimes stay datetimes (BSON dates)."""
    fields: Document = msgspec.to_builtins(record, builtin_types=(datetime,))
    fields["_id"] = fields.pop("id")
    return fields


class QueueFilter(msgspec.Struct, frozen=True, kw_only=True):
    statuses: tuple[ApplicationStatus, ...] = ()
    """Empty: every submitted status."""
    outcome: str | None = None
    assigned_to: str | None = None
    unassigned: bool = False
    min_amount_pence: int | None = None
    max_amount_pence: int | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    q: str | None = None


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """Where the previous page ended."""

    value: SortValue
    id: str


def _contains(word: str) -> dict[str, str]:
    return {"$regex": re.escape(word), "$options": "i"}


def text_clause(q: str) -> dict[str, Any] | None:
    """Every word must appear in the reference, the e-mail, or the first or last name."""
    words = q.split()
    if not words:
        return None
    return {
        "$and": [
            {
                "$or": [
                    {"reference": _contains(word)},
                    {"steps.personal.email": _contains(word)},
                    {"steps.personal.first_name": _contains(word)},
                    {"steps.personal.last_name": _contains(word)},
                ]
            }
            for word in words
        ]
    }


def _match(where: QueueFilter, *, with_status: bool = True) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    statuses = where.statuses if with_status and where.statuses else tuple(SUBMITTED)
    clauses.append({"status": {"$in": sorted(s.value for s in statuses)}})
    if where.outcome is not None:
        clauses.append({"decision.outcome": where.outcome})
    if where.unassigned:
        clauses.append({"assigned_to": None})
    elif where.assigned_to is not None:
        clauses.append({"assigned_to.staff.id": where.assigned_to})
    amount: dict[str, int] = {}
    if where.min_amount_pence is not None:
        amount["$gte"] = where.min_amount_pence
    if where.max_amount_pence is not None:
        amount["$lte"] = where.max_amount_pence
    if amount:
        clauses.append({"steps.loan.amount_pence": amount})
    submitted: dict[str, datetime] = {}
    if where.submitted_from is not None:
        submitted["$gte"] = where.submitted_from
    if where.submitted_to is not None:
        submitted["$lt"] = where.submitted_to
    if submitted:
        clauses.append({"submitted_at": submitted})
    if where.q and (text := text_clause(where.q)) is not None:
        clauses.append(text)
    return {"$and": clauses}


def sort_value(record: ApplicationRecord, sort: SortKey) -> SortValue:
    if sort == "amount":
        return int(record.steps.get("loan", {}).get("amount_pence", 0))
    assert record.submitted_at is not None
    return record.submitted_at


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

    async def _replace(self, document: Document, expected_version: int) -> bool:
        """Write ``document`` at the next version only if the stored one is still at
        ``expected_version``; False when someone else wrote first."""
        document["version"] = expected_version + 1
        result = await self._applications.replace_one(
            {"_id": document["_id"], "version": expected_version}, document
        )
        return result.matched_count == 1

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
        if not await self._replace(document, expected_version):
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
            if await self._replace(document, version):
                return record_from_document(document)
        raise StaleVersion("the application is changing too often to save; try again")

    async def record_crm_sync(self, application_id: str, sync: CrmSync) -> ApplicationRecord:
        """Store ``sync`` as the application's ``crm`` state (nothing else changes)."""
        return await self.update(
            application_id, lambda record: msgspec.structs.replace(record, crm=sync)
        )

    async def record_lms_sync(self, application_id: str, sync: LmsSync) -> ApplicationRecord:
        """Store ``sync`` as the application's ``lms`` state (its status is left alone)."""
        return await self.update(
            application_id, lambda record: msgspec.structs.replace(record, lms=sync)
        )

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
        if not await self._replace(document, expected_version):
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
        match = _match(where)
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
            {"$match": _match(where, with_status=False)},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        async for row in await self._applications.aggregate(pipeline):
            counts[str(row["_id"])] = int(row["n"])
        return counts
