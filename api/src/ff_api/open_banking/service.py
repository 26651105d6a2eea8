"""Open banking from the customer's side: start a consent for an application, see where it is.

Starting asks OBV for a consent (its idempotency key derives from the application and the
attempt, so a repeated or concurrent start reuses the same consent) and records it on the
application. Two jobs are enqueued just before that write: the consent check, which polls until
the report is in and then re-runs the decision on the verified figures, and the CRM sync, which
puts the OBV reference in Dynamics where obv-archiver finds it. When the customer comes back
from the bank, OBV redirects to the public callback, which runs the check at once.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import msgspec
import structlog

from ff_api.jobs import enqueue, enqueue_crm_sync
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.open_banking import ConsentState, OpenBankingConsent
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import DependencyUnavailable, IllegalTransition
from ff_shared.integrations.errors import IntegrationError
from ff_shared.jobs import JOB_CHECK_OPEN_BANKING, OpenBankingCheckJob, open_banking_job_id

log = structlog.get_logger()

OPEN_FOR_OPEN_BANKING = frozenset(
    {ApplicationStatus.IN_REVIEW, ApplicationStatus.INFORMATION_REQUESTED}
)
"""While a person is reviewing it, verified figures can still change the decision."""
IN_PROGRESS = frozenset({ConsentState.AWAITING_AUTHORISATION, ConsentState.AUTHORISED})


def idempotency_key(application_id: str, attempt: int) -> str:
    """OBV's ``x-idempotency-key`` (at most 40 characters) for one consent attempt."""
    return hashlib.sha256(f"{application_id}:{attempt}".encode()).hexdigest()[:40]


def _check_open(record: ApplicationRecord) -> None:
    if record.status not in OPEN_FOR_OPEN_BANKING:
        raise IllegalTransition(
            f"the application is {record.status.value}: open banking can be connected while it "
            "is in review or information is requested"
        )


async def enqueue_check(
    services: Services, application_id: str, reference: str, *, source: str, defer: float = 0.0
) -> None:
    job = OpenBankingCheckJob(application_id=application_id, reference=reference)
    await enqueue(
        services,
        JOB_CHECK_OPEN_BANKING,
        job_id=open_banking_job_id(application_id, reference, source),
        _defer_by=timedelta(seconds=defer) if defer else None,
        **msgspec.structs.asdict(job),
    )


async def start(
    services: Services, customer: CustomerPrincipal, application_id: str
) -> tuple[OpenBankingConsent, bool]:
    """The application's consent in progress, or a new one: (consent, newly started)."""
    current = await services.applications.get(application_id, customer_id=customer.customer_id)
    _check_open(current)
    existing = current.open_banking
    if existing is not None and (
        existing.state in IN_PROGRESS or existing.state is ConsentState.COMPLETED
    ):
        return existing, False
    attempt = existing.attempt + 1 if existing is not None else 1
    try:
        started = await services.obv.start_consent(
            application_id, idempotency_key=idempotency_key(application_id, attempt)
        )
    except IntegrationError as exc:
        log.warning("open_banking_start_failed", application_id=application_id, error=exc.kind)
        raise DependencyUnavailable(
            "open banking cannot be started just now; please try again shortly"
        ) from exc
    now = now_utc()
    consent = OpenBankingConsent(
        state=ConsentState.AWAITING_AUTHORISATION,
        reference=started.reference,
        authorisation_url=started.authorisation_url,
        attempt=attempt,
        started_at=now,
        updated_at=now,
    )

    # Re-read: a concurrent start may have recorded its consent while OBV answered.
    latest = await services.applications.get(application_id, customer_id=customer.customer_id)
    _check_open(latest)
    stored = latest.open_banking
    if stored is not None and stored.attempt >= attempt:
        return stored, False
    await enqueue_check(
        services,
        application_id,
        consent.reference,
        source="poll",
        defer=services.settings.obv.poll_interval_seconds,
    )
    await enqueue_crm_sync(services, application_id, latest.version + 1)
    started_on = msgspec.structs.replace(
        latest, open_banking=consent, updated_at=now, version=latest.version + 1
    )
    await services.applications.save(started_on, expected_version=latest.version)
    log.info("open_banking_started", application_id=application_id, reference=consent.reference)
    return consent, True


async def callback(services: Services, reference: str) -> None:
    """The customer is back from the bank: check the consent now rather than at the next poll.

    A reference no application has gets the very same answer, after the same work (one lookup,
    one queue round trip), so the callback cannot be used to learn which references exist.
    """
    record = await services.applications.find_by_obv_reference(reference)
    if record is None or record.open_banking is None:
        job_id = open_banking_job_id("unmatched", reference, "callback")
        try:
            await services.redis.exists(f"arq:job:{job_id}")
        except (OSError, ConnectionError) as exc:
            raise DependencyUnavailable("the job queue is unavailable") from exc
        log.info("open_banking_callback_unmatched")
        return
    await enqueue_check(services, record.id, reference, source="callback")
    log.info("open_banking_callback_received", application_id=record.id)
