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
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.clock import london_today, now_utc
from ff_shared.domain.decision import Offer
from ff_shared.domain.loans import LmsSync, LmsSyncState, LoanTerms
from ff_shared.domain.records import ApplicationStatus
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.anchor_lms.schemas import CreatedAgreement
from ff_shared.integrations.errors import IntegrationError
from ff_shared.jobs import JOB_CREATE_LMS_LOAN
from ff_shared.stores.mongo.lms_sync import LmsLoanRequest, load_for_lms, record_lms_sync
from ff_workers import ctx as jobctx
from ff_workers.ctx import JobContext

log = structlog.get_logger()

MAX_TRIES = 8
JOB_TIMEOUT_SECONDS = 180
RETRY_CAP_SECONDS = 15 * 60
NO_OFFER = "the application has no offer to book"


def retry_delay(first_seconds: float, job_try: int) -> float:
    """``first_seconds``, then doubled each try (15 s, 30 s, 1 min ...), capped at 15 min."""
    return float(min(RETRY_CAP_SECONDS, first_seconds * 2 ** max(0, job_try - 1)))


async def startup(ctx: JobContext) -> None:
    """The job's clients: a MongoDB database handle and the Anchor LMS client."""
    settings = jobctx.settings(ctx)
    if "mongo_db" not in ctx:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongo.url,
            tz_aware=True,
            serverSelectionTimeoutMS=int(settings.mongo.timeout_seconds * 1000),
        )
        ctx["mongo_client"] = client
        ctx["mongo_db"] = client[settings.mongo.database]
    ctx["anchor_lms"] = AnchorLmsClient(settings.anchor_lms)


async def shutdown(ctx: JobContext) -> None:
    lms: AnchorLmsClient | None = ctx.pop("anchor_lms", None)
    if lms is not None:
        await lms.aclose()
    client: AsyncMongoClient[dict[str, Any]] | None = ctx.pop("mongo_client", None)
    if client is not None:
        ctx.pop("mongo_db", None)
        await client.close()


async def create_lms_loan(ctx: JobContext, application_id: str) -> dict[str, Any]:
    db = jobctx.mongo_db(ctx)
    lms = jobctx.get(ctx, "anchor_lms", AnchorLmsClient)
    job_try = jobctx.job_try(ctx)
    log.info("lms_loan_job_started", application_id=application_id)

    application = await load_for_lms(db, application_id)
    if application is None:
        log.warning("lms_loan_skipped", application_id=application_id, reason="not_found")
        return {"status": "skipped", "reason": "not_found"}
    done = _nothing_to_book(application)
    if done is not None:
        return done
    current = application.lms
    attempts = (current.attempts if current is not None else 0) + 1
    if application.offer is None:
        await _record(db, application_id, LmsSyncState.FAILED, attempts, NO_OFFER)
        log.error("lms_loan_failed", application_id=application_id, error="no_offer")
        return {"status": "failed", "error": "no_offer"}

    # Recorded before the call: a worker killed while waiting for the LMS leaves this visible.
    last_error = None if current is None else current.last_error
    await _record(db, application_id, LmsSyncState.CREATING, attempts, last_error)
    try:
        created = await lms.create_agreement(
            application_id=application_id,
            customer=application.customer,
            terms=_terms(application.offer),
        )
    except IntegrationError as exc:
        first = jobctx.settings(ctx).anchor_lms.job_retry_seconds
        return await _failed(db, application_id, exc, attempts, job_try, first)
    return await _booked(db, application_id, created, attempts)


def _nothing_to_book(application: LmsLoanRequest) -> dict[str, Any] | None:
    """The job's answer when the loan is booked already or the application is not accepted."""
    current = application.lms
    if current is not None and current.agreement_number is not None:
        log.info(
            "lms_loan_already_booked",
            application_id=application.application_id,
            agreement_number=current.agreement_number,
        )
        return {"status": "created", "agreement_number": current.agreement_number}
    if application.status is not ApplicationStatus.ACCEPTED:
        log.warning(
            "lms_loan_skipped",
            application_id=application.application_id,
            reason=application.status.value,
        )
        return {"status": "skipped", "reason": f"application is {application.status.value}"}
    return None


def _terms(offer: Offer) -> LoanTerms:
    return LoanTerms(
        advance_pence=offer.amount_pence,
        term_months=offer.term_months,
        annual_rate_bps=offer.annual_rate_bps,
        apr_percent=offer.apr_percent,
        start_date=london_today(),
    )


async def _record(
    db: AsyncDatabase[dict[str, Any]],
    application_id: str,
    state: LmsSyncState,
    attempts: int,
    last_error: str | None,
) -> None:
    await record_lms_sync(
        db,
        application_id,
        LmsSync(state=state, last_error=last_error, attempts=attempts, updated_at=now_utc()),
    )


async def _failed(
    db: AsyncDatabase[dict[str, Any]],
    application_id: str,
    exc: IntegrationError,
    attempts: int,
    job_try: int,
    first_retry_seconds: float,
) -> dict[str, Any]:
    """Record a failed attempt; raise ``Retry`` when arq should try again."""
    will_retry = exc.retryable and job_try < MAX_TRIES
    state = LmsSyncState.RETRYING if will_retry else LmsSyncState.FAILED
    await _record(db, application_id, state, attempts, exc.summary())
    log.warning(
        "lms_loan_failed",
        application_id=application_id,
        error=exc.kind,
        retryable=exc.retryable,
        will_retry=will_retry,
    )
    if will_retry:
        raise Retry(defer=retry_delay(first_retry_seconds, job_try)) from exc
    return {"status": "failed", "error": exc.kind}


async def _booked(
    db: AsyncDatabase[dict[str, Any]],
    application_id: str,
    created: CreatedAgreement,
    attempts: int,
) -> dict[str, Any]:
    now = now_utc()
    await record_lms_sync(
        db,
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


create_lms_loan_function = func(
    create_lms_loan,
    name=JOB_CREATE_LMS_LOAN,
    timeout=JOB_TIMEOUT_SECONDS,
    max_tries=MAX_TRIES,
)
