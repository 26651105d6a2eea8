"""``send_application_email``: tell the customer about a review event, through SES.

The API enqueues the job just before the write that records the event, naming the version that
write produces. The job sends only when the application at that version carries the event (a
write that lost a race sends nothing), waits briefly for a write still in flight, and records
each message sent so a repeated run never sends twice.
"""

from __future__ import annotations

import contextlib
from typing import Any

import structlog
from arq import Retry
from arq.worker import func
from pymongo import AsyncMongoClient

from ff_shared.clock import now_utc
from ff_shared.domain import emails
from ff_shared.domain.emails import EmailKind
from ff_shared.integrations.aws.email import EmailNotSent, send_email
from ff_shared.integrations.aws.session import client_options, make_session
from ff_shared.jobs import JOB_SEND_APPLICATION_EMAIL
from ff_shared.stores.mongo import email_log
from ff_workers import ctx as jobctx
from ff_workers.ctx import JobContext

log = structlog.get_logger()

MAX_TRIES = 6
WAIT_FOR_WRITE_SECONDS = 2
RETRY_SECONDS = 30


async def startup(ctx: JobContext) -> None:
    """A MongoDB database handle (shared with other core jobs) and an SES client."""
    settings = jobctx.settings(ctx)
    if "mongo_db" not in ctx:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongo.url,
            tz_aware=True,
            serverSelectionTimeoutMS=int(settings.mongo.timeout_seconds * 1000),
        )
        ctx["mongo_client"] = client
        ctx["mongo_db"] = client[settings.mongo.database]
    stack = contextlib.AsyncExitStack()
    session = make_session(settings.aws)
    ctx["ses"] = await stack.enter_async_context(
        session.client("ses", **client_options(settings.aws))
    )
    ctx["emails_stack"] = stack


async def shutdown(ctx: JobContext) -> None:
    stack: contextlib.AsyncExitStack | None = ctx.pop("emails_stack", None)
    ctx.pop("ses", None)
    if stack is not None:
        await stack.aclose()


async def send_application_email(
    ctx: JobContext, application_id: str, kind: str, version: int
) -> dict[str, Any]:
    db = jobctx.mongo_db(ctx)
    settings = jobctx.settings(ctx)
    job_try = jobctx.job_try(ctx)
    email_kind = EmailKind(kind)
    key = email_log.event_key(application_id, kind, version)
    if await email_log.find(key, db=db) is not None:
        log.info("email_already_sent", application_id=application_id, kind=kind)
        return {"status": "already_sent"}
    record = await email_log.load_application(application_id, db=db)
    if record is None:
        log.warning("email_skipped", application_id=application_id, kind=kind, reason="not_found")
        return {"status": "skipped", "reason": "not_found"}
    if record.version < version:
        if job_try < MAX_TRIES:
            # The write this e-mail is about may still be in flight.
            raise Retry(defer=WAIT_FOR_WRITE_SECONDS * job_try)
        log.warning("email_skipped", application_id=application_id, kind=kind, reason="no_write")
        return {"status": "skipped", "reason": "no_write"}
    if not emails.recorded(email_kind, record, version):
        log.info("email_skipped", application_id=application_id, kind=kind, reason="superseded")
        return {"status": "skipped", "reason": "superseded"}
    if record.erased_at is not None:
        log.info("email_skipped", application_id=application_id, kind=kind, reason="erased")
        return {"status": "skipped", "reason": "erased"}
    to = emails.recipient(record, await email_log.load_profile_email(record.customer_id, db=db))
    if to is None:
        log.warning("email_skipped", application_id=application_id, kind=kind, reason="no_address")
        return {"status": "skipped", "reason": "no_address"}
    message = emails.compose(email_kind, record)
    try:
        message_id = await send_email(
            jobctx.ses(ctx),
            sender=settings.email.sender,
            to=[to],
            subject=message.subject,
            text=message.text,
            purpose=f"application_{kind}",
        )
    except EmailNotSent as exc:
        if exc.retryable and job_try < MAX_TRIES:
            raise Retry(defer=RETRY_SECONDS * job_try) from exc
        log.error("email_abandoned", application_id=application_id, kind=kind, error=str(exc))
        return {"status": "failed", "error": str(exc)}
    await email_log.record_sent(
        key,
        application_id=application_id,
        kind=kind,
        message_id=message_id,
        now=now_utc(),
        db=db,
    )
    return {"status": "sent", "message_id": message_id}


send_application_email_function = func(
    send_application_email,
    name=JOB_SEND_APPLICATION_EMAIL,
    max_tries=MAX_TRIES,
    timeout=60,
)
