"""``sync_customer_to_crm``: the customer's Dynamics contact after a profile write.

Staff corrections of a customer's contact details, and erasure, change the profile, not an
application; this job brings the contact up to the profile (the profile's e-mail and mobile win
over the latest application's form; an erased customer's contact is written with every personal
column empty). Upserted on ``ff_platformid``, so any number of runs is safe. A customer the CRM
has never been sent (no application synced yet) is skipped: the first application sync sends the
contact as it then is.
"""

from __future__ import annotations

from typing import Any

import structlog
from arq import Retry
from arq.worker import func

from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.mapping import contact_for
from ff_shared.integrations.errors import IntegrationError
from ff_shared.jobs import JOB_SYNC_CUSTOMER_TO_CRM
from ff_shared.stores.mongo.customers import contact_of
from ff_workers.core.crm import (
    JOB_TIMEOUT_SECONDS,
    MAX_TRIES,
    WRITE_WAIT_SECONDS,
    WRITE_WAIT_TRIES,
    retry_delay,
)
from ff_workers.core.mongo import applications, database

log = structlog.get_logger()


def _latest(records: list[ApplicationRecord]) -> ApplicationRecord | None:
    """The application whose form describes the customer best: the latest with personal
    details, else the latest at all."""
    sent = [r for r in records if r.status is not ApplicationStatus.DRAFT or r.crm is not None]
    with_details = [r for r in sent if r.steps.get("personal")]
    pool = with_details or sent
    return max(pool, key=lambda r: r.updated_at) if pool else None


async def sync_customer_to_crm(
    ctx: dict[str, Any], customer_id: str, version: int
) -> dict[str, Any]:
    job_try = int(ctx.get("job_try") or 1)
    profile = await contact_of(database(ctx), customer_id)
    if profile.version < version:
        if job_try < WRITE_WAIT_TRIES:
            raise Retry(defer=WRITE_WAIT_SECONDS)
        log.info("crm_contact_skipped", customer_id=customer_id, reason="write_not_landed")
        return {"status": "skipped", "reason": "the write that asked for it never landed"}
    records = await applications(ctx).all_for_customer(customer_id)
    if not any(r.crm is not None and r.crm.contact_id for r in records):
        log.info("crm_contact_skipped", customer_id=customer_id, reason="not_in_crm")
        return {"status": "skipped", "reason": "the customer is not in the CRM"}
    latest = _latest(records)
    assert latest is not None
    dynamics: DynamicsClient = ctx["dynamics"]
    contact = contact_for(
        latest,
        profile_email=profile.email,
        profile_mobile=profile.mobile,
        erased=profile.erased,
    )
    try:
        written = await dynamics.upsert_contact(contact)
    except IntegrationError as exc:
        will_retry = exc.retryable and job_try < MAX_TRIES
        log.warning(
            "crm_contact_failed",
            customer_id=customer_id,
            error=exc.kind,
            status=exc.status,
            will_retry=will_retry,
        )
        if will_retry:
            first = ctx["settings"].dynamics.retry_defer_seconds
            raise Retry(defer=retry_delay(first, job_try, exc.retry_after)) from exc
        return {"status": "failed", "error": exc.kind}
    log.info("crm_contact_synced", customer_id=customer_id, erased=profile.erased)
    return {"status": "synced", "contact_id": written.id, "erased": profile.erased}


sync_customer_to_crm_function = func(
    sync_customer_to_crm,
    name=JOB_SYNC_CUSTOMER_TO_CRM,
    timeout=JOB_TIMEOUT_SECONDS,
    max_tries=MAX_TRIES,
)
