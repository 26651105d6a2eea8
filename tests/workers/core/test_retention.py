"""The retention job deletes a loan record with what hangs off it: the application's notes and
its upload records with their S3 objects; a document kept by a hold of its own, and another
application's notes and uploads, stay. Counted by kind, in the result and the run record."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import aioboto3
from tests.fixtures.servers import REGION

from ff_shared.domain.privacy_retention import HoldKind
from ff_shared.settings import Settings
from ff_shared.stores.mongo import retention
from ff_workers.core.retention import apply_retention

# Long past, so no hold another test enters (years ahead) falls due in this run.
DAY = date(2001, 2, 3)
NOW = datetime(2001, 1, 1, tzinfo=UTC)


async def _upload(
    mongo_db: Any, s3: Any, bucket: str, application_id: str, status: str
) -> tuple[str, str]:
    document_id = uuid.uuid4().hex
    key = f"retention-test/{application_id}/{document_id}.pdf"
    if status != "erased":
        await s3.put_object(Bucket=bucket, Key=key, Body=b"%PDF-1.4 test")
    await mongo_db.documents.insert_one(
        {
            "_id": document_id,
            "customer_id": "retention-test",
            "application_id": application_id,
            "kind": "payslip",
            "content_type": "application/pdf",
            "size_bytes": 13,
            "status": status,
            "object_key": key,
            "uploaded_by": {"type": "customer", "id": "retention-test"},
            "created_at": NOW,
            "updated_at": NOW,
            "version": 1,
        }
    )
    return document_id, key


async def _note(mongo_db: Any, application_id: str) -> None:
    await mongo_db.notes.insert_one(
        {
            "_id": uuid.uuid4().hex,
            "customer_id": "retention-test",
            "application_id": application_id,
            "author": {"id": "staff-1", "name": "erased"},
            "text": "",
            "created_at": NOW,
            "erased_at": NOW,
        }
    )


async def _exists(s3: Any, bucket: str, key: str) -> bool:
    listed = await s3.list_objects_v2(Bucket=bucket, Prefix=key)
    return bool(listed.get("KeyCount"))


async def test_a_loan_records_notes_and_uploads_go_with_it(
    settings: Settings, mongo_db: Any, documents_bucket: str, moto_url: str
) -> None:
    loan, other = uuid.uuid4().hex, uuid.uuid4().hex
    for application_id in (loan, other):
        await mongo_db.applications.insert_one(
            {"_id": application_id, "customer_id": "retention-test", "status": "accepted"}
        )
    async with aioboto3.Session(region_name=REGION).client("s3", endpoint_url=moto_url) as s3:
        payslip, payslip_key = await _upload(mongo_db, s3, documents_bucket, loan, "available")
        erased, _ = await _upload(mongo_db, s3, documents_bucket, loan, "erased")
        pending, pending_key = await _upload(mongo_db, s3, documents_bucket, loan, "pending")
        kept, kept_key = await _upload(mongo_db, s3, documents_bucket, loan, "available")
        others, others_key = await _upload(mongo_db, s3, documents_bucket, other, "available")
        for application_id in (loan, loan, other):
            await _note(mongo_db, application_id)
        await retention.hold(
            mongo_db, kind=HoldKind.LOAN_RECORD, ref=loan, until=DAY, reason="test", now=NOW
        )
        await retention.hold(
            mongo_db,
            kind=HoldKind.DOCUMENT,
            ref=kept,
            until=date(2001, 3, 1),
            reason="test",
            now=NOW,
        )
        ctx = {"settings": settings, "mongo_db": mongo_db}

        done = await apply_retention(ctx, today=DAY.isoformat())

        assert done["deleted"] == {"loan_record": 1, "upload": 3, "upload_object": 2, "note": 2}
        assert done["failed"] == {}
        run = await mongo_db.retention_runs.find_one({"day": DAY.isoformat()})
        assert run["deleted"] == done["deleted"]
        assert await mongo_db.applications.find_one({"_id": loan}) is None
        assert await mongo_db.notes.count_documents({"application_id": loan}) == 0
        left = {raw["_id"] async for raw in mongo_db.documents.find({"application_id": loan})}
        assert left == {kept}
        assert not await _exists(s3, documents_bucket, payslip_key)
        assert not await _exists(s3, documents_bucket, pending_key)
        assert await _exists(s3, documents_bucket, kept_key)
        # Another application's record, notes and uploads are not touched.
        assert await mongo_db.applications.find_one({"_id": other}) is not None
        assert await mongo_db.notes.count_documents({"application_id": other}) == 1
        assert await mongo_db.documents.find_one({"_id": others}) is not None
        assert await _exists(s3, documents_bucket, others_key)
        assert {payslip, erased, pending}.isdisjoint(left)

        again = await apply_retention(ctx, today=DAY.isoformat())
        assert again["deleted"] == {}
