"""``apply_retention``: delete what erasure kept once its retention date has come (daily cron).

Each due hold in the retention register is carried out (a loan's anonymised record deleted with
its notes and its upload records and their S3 objects, a kept document's object deleted and its
record marked erased, an open-banking archive's rows deleted), then released. The run is
recorded in ``retention_runs`` with counts by kind only: the holds carried out by their kind
(``loan_record``, ``document``, ``open_banking``) and what went with the loan records (``note``,
``upload``, ``upload_object``); no ids, no personal data. A hold whose deletion fails stays for
the next run.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from typing import Any

import asyncpg
import structlog
from arq.cron import cron
from arq.worker import func
from pymongo.errors import PyMongoError

from ff_shared.clock import now_utc
from ff_shared.domain.documents import DocumentStatus
from ff_shared.domain.privacy_retention import HoldKind
from ff_shared.errors import DomainError
from ff_shared.integrations.aws import s3
from ff_shared.integrations.aws.session import client_options, make_session
from ff_shared.settings import Settings
from ff_shared.stores.mongo import retention
from ff_shared.stores.postgres.obv import erasure as obv_erasure
from ff_workers.core.mongo import database

log = structlog.get_logger()

JOB_APPLY_RETENTION = "apply_retention"


async def _delete_loan_record(
    settings: Settings, db: Any, s3_client: Any, ref: str, today: date
) -> Counter[str]:
    """The anonymised application and what hangs off it: its notes, and its upload records with
    their objects (a document a hold of its own still keeps is left to that hold). The
    application goes last, so a run that fails part way finds the rest again next time."""
    removed: Counter[str] = Counter()
    uploads = await retention.uploads_of_application(db, ref)
    held = await retention.held_after(
        db, kind=HoldKind.DOCUMENT, refs=[str(u["_id"]) for u in uploads], today=today
    )
    for upload in uploads:
        if str(upload["_id"]) in held:
            continue
        if upload.get("status") != DocumentStatus.ERASED.value:
            await s3.delete(s3_client, bucket=settings.documents.bucket, key=upload["object_key"])
            removed["upload_object"] += 1
        removed["upload"] += await retention.delete_upload(db, str(upload["_id"]))
    removed["note"] += await retention.delete_notes_of_application(db, ref)
    await retention.delete_application(db, ref)
    return removed


async def _carry_out(
    settings: Settings,
    db: Any,
    s3_client: Any,
    conn: asyncpg.Connection,
    hold: dict[str, Any],
    today: date,
) -> Counter[str]:
    """Carry out one hold; what went with it beyond the held item itself, counted by kind."""
    kind, ref = HoldKind(hold["kind"]), str(hold["ref"])
    if kind is HoldKind.LOAN_RECORD:
        return await _delete_loan_record(settings, db, s3_client, ref, today)
    if kind is HoldKind.DOCUMENT:
        document = await db["documents"].find_one({"_id": ref})
        if document is not None:
            await s3.delete(s3_client, bucket=settings.documents.bucket, key=document["object_key"])
            await db["documents"].update_one(
                {"_id": ref},
                {"$set": {"status": DocumentStatus.ERASED.value, "updated_at": now_utc()}},
            )
    else:
        async with conn.transaction():
            await obv_erasure.delete(conn, ref)
    return Counter()


async def apply_retention(ctx: dict[str, Any], today: str | None = None) -> dict[str, Any]:
    """Carry out every hold due on ``today`` (ISO date; default the current UTC day)."""
    settings: Settings = ctx["settings"]
    started = now_utc()
    day = date.fromisoformat(today) if today else started.date()
    db = database(ctx)
    holds = await retention.due(db, today=day)
    deleted: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    if holds:
        session = make_session(settings.aws)
        conn = await asyncpg.connect(settings.postgres.dsn)
        try:
            await obv_erasure.prepare(conn)
            async with session.client("s3", **client_options(settings.aws)) as s3_client:
                for hold in holds:
                    try:
                        removed = await _carry_out(settings, db, s3_client, conn, hold, day)
                    except (OSError, PyMongoError, asyncpg.PostgresError, DomainError) as exc:
                        failed[hold["kind"]] += 1
                        log.warning("retention_failed", kind=hold["kind"], error=type(exc).__name__)
                        continue
                    await retention.release(db, hold["_id"])
                    deleted[hold["kind"]] += 1
                    deleted.update(+removed)
        finally:
            await conn.close()
    run = {
        "_id": str(uuid.uuid4()),
        "day": day.isoformat(),
        "started_at": started,
        "finished_at": now_utc(),
        "deleted": dict(deleted),
        "failed": dict(failed),
    }
    await retention.record_run(db, run)
    log.info("retention_applied", deleted=dict(deleted), failed=dict(failed))
    return {"status": "done", "deleted": dict(deleted), "failed": dict(failed)}


apply_retention_function = func(apply_retention, name=JOB_APPLY_RETENTION, max_tries=3)

CRON_JOBS = [cron(apply_retention, name="apply_retention_daily", hour={2}, minute={30})]
