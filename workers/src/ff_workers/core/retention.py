"""``apply_retention``: delete what erasure kept once its retention date has come (daily cron).

Each due hold in the retention register is carried out (a loan's anonymised record deleted, a
kept document's object deleted and its record marked erased, an open-banking archive's rows
deleted), then released. The run is recorded in ``retention_runs`` with counts by kind only: no
ids, no personal data. A hold whose deletion fails stays for the next run.
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


async def _carry_out(
    settings: Settings, db: Any, s3_client: Any, conn: asyncpg.Connection, hold: dict[str, Any]
) -> None:
    kind, ref = HoldKind(hold["kind"]), str(hold["ref"])
    if kind is HoldKind.LOAN_RECORD:
        await db["applications"].delete_one({"_id": ref})
    elif kind is HoldKind.DOCUMENT:
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
                        await _carry_out(settings, db, s3_client, conn, hold)
                    except (OSError, PyMongoError, asyncpg.PostgresError, DomainError) as exc:
                        failed[hold["kind"]] += 1
                        log.warning("retention_failed", kind=hold["kind"], error=type(exc).__name__)
                        continue
                    await retention.release(db, hold["_id"])
                    deleted[hold["kind"]] += 1
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
