"""``create_lms_loan``: book an accepted offer as a loan in Anchor LMS.

Safe to run any number of times, and after being killed at any point: Anchor books at most one
agreement per ExternalReference (the application id), so asking again returns the agreement
already booked, and the application records it. A failure leaves the application ``accepted``
with the error in ``lms.last_error`` for staff; retryable failures are retried by arq with a
growing delay, permanent ones (the LMS refused the loan) wait for staff.
"""

from __future__ import annotations

from typing import Any

import structlog
from arq import Retry
from arq.worker import func

from ff_shared.clock import london_today, now_utc
from ff_shared.domain.loan_booking import accepted_offer, customer_details
from ff_shared.domain.loans import LmsSync, LmsSyncState, LoanTerms
from ff_shared.domain.payments import mandate_allows_funding
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.anchor_lms.schemas import CreatedAgreement
from ff_shared.integrations.errors import IntegrationError
from ff_shared.jobs import JOB_CREATE_LMS_LOAN
from ff_shared.settings import Settings
from ff_shared.stores.mongo.applications import ApplicationRepository
from ff_shared.stores.postgres import payments as payments_store
from ff_workers.core.mongo import applications, close_mongo, open_mongo

log = structlog.get_logger()

MAX_TRIES = 8
JOB_TIMEOUT_SECONDS = 180
RETRY_CAP_SECONDS = 15 * 60


async def _has_active_mandate(ctx: dict[str, Any], application_id: str) -> bool:
    async with ctx["payments_pg"].acquire() as conn:
        mandate = await payments_store.find_mandate(conn, application_id)
    return mandate_allows_funding(None if mandate is None else mandate.status)


def retry_delay(first_seconds: float, job_try: int) -> float:
    """``first_seconds``, then doubled each try (15 s, 30 s, 1 min ...), capped at 15 min."""
    return float(min(RETRY_CAP_SECONDS, first_seconds * 2 ** max(0, job_try - 1)))


async def startup(ctx: dict[str, Any]) -> None:
    """The job's clients: a MongoDB database handle and the Anchor LMS client."""
    settings: Settings = ctx["settings"]
    open_mongo(ctx)
    ctx["anchor_lms"] = AnchorLmsClient(settings.anchor_lms)


async def shutdown(ctx: dict[str, Any]) -> None:
    lms: AnchorLmsClient | None = ctx.pop("anchor_lms", None)
    if lms is not None:
        await lms.aclose()
    await close_mongo(ctx)


def _already_settled(application_id: str, application: ApplicationRecord) -> dict[str, Any] | None:
    """The job's answer when there is nothing to book: booked already, or no longer accepted."""
    current = application.lms
    if current is not None and current.agreement_number is not None:
        log.info(
            "lms_loan_already_booked",
            application_id=application_id,
            agreement_number=current.agreement_number,
        )
        return {"status": "created", "agreement_number": current.agreement_number}
    if application.status is not ApplicationStatus.ACCEPTED:
        log.warning(
            "lms_loan_skipped", application_id=application_id, reason=application.status.value
        )
        return {"status": "skipped", "reason": f"application is {application.status.value}"}
    return None


async def _record_no_offer(
    repository: ApplicationRepository, application_id: str, attempts: int
) -> dict[str, Any]:
    await repository.record_lms_sync(
        application_id,
        LmsSync(
            state=LmsSyncState.FAILED,
            last_error="the application has no offer to book",
            attempts=attempts,
            updated_at=now_utc(),
        ),
    )
    log.error("lms_loan_failed", application_id=application_id, error="no_offer")
    return {"status": "failed", "error": "no_offer"}


async def _record_failure(
    ctx: dict[str, Any],
    repository: ApplicationRepository,
    application_id: str,
    attempts: int,
    exc: IntegrationError,
) -> dict[str, Any]:
    """Record the failed call; raise :class:`Retry` while a retryable failure has tries left."""
    job_try = int(ctx.get("job_try") or 1)
    will_retry = exc.retryable and job_try < MAX_TRIES
    await repository.record_lms_sync(
        application_id,
        LmsSync(
            state=LmsSyncState.RETRYING if will_retry else LmsSyncState.FAILED,
            last_error=exc.summary(),
            attempts=attempts,
            updated_at=now_utc(),
        ),
    )
    log.warning(
        "lms_loan_failed",
        application_id=application_id,
        error=exc.kind,
        retryable=exc.retryable,
        will_retry=will_retry,
    )
    if will_retry:
        first = ctx["settings"].anchor_lms.job_retry_seconds
        raise Retry(defer=retry_delay(first, job_try)) from exc
    return {"status": "failed", "error": exc.kind}


async def _record_created(
    ctx: dict[str, Any],
    repository: ApplicationRepository,
    application_id: str,
    attempts: int,
    created: CreatedAgreement,
) -> dict[str, Any]:
    now = now_utc()
    async with ctx["payments_pg"].acquire() as conn:
        await payments_store.link_loan(conn, application_id, created.loan.agreement_number, now)
    await repository.record_lms_sync(
        application_id,
        LmsSync(
            state=LmsSyncState.CREATED,
            agreement_number=created.loan.agreement_number,
            attempts=attempts,
            synced_at=now,
            updated_at=now,
        ),
    )
    log.info(
        "lms_loan_created",
        application_id=application_id,
        agreement_number=created.loan.agreement_number,
        newly_booked=created.created,
    )
    return {"status": "created", "agreement_number": created.loan.agreement_number}


async def create_lms_loan(ctx: dict[str, Any], application_id: str) -> dict[str, Any]:
    repository = applications(ctx)
    lms: AnchorLmsClient = ctx["anchor_lms"]
    log.info("lms_loan_job_started", application_id=application_id)

    application = await repository.find(application_id)
    if application is None:
        log.warning("lms_loan_skipped", application_id=application_id, reason="not_found")
        return {"status": "skipped", "reason": "not_found"}
    settled = _already_settled(application_id, application)
    if settled is not None:
        return settled
    if not await _has_active_mandate(ctx, application_id):
        # Funded only with an active Direct Debit mandate; the mandate's activation enqueues
        # this job again.
        log.info("lms_loan_waiting", application_id=application_id, reason="no_active_mandate")
        return {"status": "waiting_for_mandate"}
    current = application.lms
    attempts = (current.attempts if current is not None else 0) + 1
    offer = accepted_offer(application)
    if offer is None:
        return await _record_no_offer(repository, application_id, attempts)

    # Recorded before the call: a worker killed while waiting for the LMS leaves this visible.
    await repository.record_lms_sync(
        application_id,
        LmsSync(
            state=LmsSyncState.CREATING,
            last_error=None if current is None else current.last_error,
            attempts=attempts,
            updated_at=now_utc(),
        ),
    )
    terms = LoanTerms(
        advance_pence=offer.amount_pence,
        term_months=offer.term_months,
        annual_rate_bps=offer.annual_rate_bps,
        apr_percent=offer.apr_percent,
        start_date=london_today(),
    )
    try:
        created = await lms.create_agreement(
            application_id=application_id, customer=customer_details(application), terms=terms
        )
    except IntegrationError as exc:
        return await _record_failure(ctx, repository, application_id, attempts, exc)
    return await _record_created(ctx, repository, application_id, attempts, created)


create_lms_loan_function = func(
    create_lms_loan,
    name=JOB_CREATE_LMS_LOAN,
    timeout=JOB_TIMEOUT_SECONDS,
    max_tries=MAX_TRIES,
)
