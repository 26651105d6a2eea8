"""``check_open_banking``: follow an application's OBV consent to its report, then re-decide.

While the customer is at their bank the job polls the consent (``Retry`` every
``obv.poll_interval_seconds``); the callback from the bank journey enqueues it at once. When the
report is ready it is fetched and mapped whole (a report that does not map is not relied on),
its summary is kept on the application, and, if the application is still being reviewed, the
decision is re-run with the verified income and essential spending and recorded as a new
version beside the earlier ones. Run twice, or killed half-way and retried, it records one
completion: the write is conditioned on the consent not being completed yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import structlog
from arq import Retry
from arq.worker import func

from ff_shared.clock import london_date, now_utc
from ff_shared.domain.open_banking import (
    FINISHED,
    IN_PROGRESS,
    ConsentState,
    DecisionVersion,
    OpenBankingConsent,
    OpenBankingSummary,
)
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.reassessment import reassess
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.domain.steps import ApplicationData
from ff_shared.integrations.errors import IntegrationError
from ff_shared.integrations.obv.client import ObvClient, ReportNotReady
from ff_shared.integrations.obv.mapping import report_from_wire
from ff_shared.jobs import (
    JOB_CHECK_OPEN_BANKING,
    JOB_SYNC_APPLICATION_TO_CRM,
    CrmSyncJob,
    crm_sync_job_id,
)
from ff_shared.settings import Settings
from ff_shared.stores.mongo.applications import ApplicationRepository
from ff_workers.core.crm import open_http, retry_delay
from ff_workers.core.mongo import applications

log = structlog.get_logger()

MAX_TRIES = 1_000
"""Polls and retries together: at the default 10 s poll, a consent can wait over two hours."""
JOB_TIMEOUT_SECONDS = 120
REDECIDE_STATUSES = frozenset(
    {ApplicationStatus.IN_REVIEW, ApplicationStatus.INFORMATION_REQUESTED}
)
"""Statuses in which new evidence re-runs the decision; later, staff have already acted."""

_CONSENT_STATES = {
    "Rejected": ConsentState.REJECTED,
    "Expired": ConsentState.EXPIRED,
    "Revoked": ConsentState.REJECTED,
}


class _Superseded(Exception):
    """The application's consent is no longer the one this job is about, or is finished."""


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    ctx["obv"] = ObvClient(await open_http(ctx), settings.obv)
    ctx["product"] = msgspec.convert(msgspec.to_builtins(settings.product), LoanProduct)


async def shutdown(ctx: dict[str, Any]) -> None:
    ctx.pop("obv", None)


def _evidence_reference(decision: dict[str, Any]) -> str | None:
    """The OBV reference a stored decision was verified with (None: declared figures)."""
    for rule in decision.get("trace") or ():
        if rule.get("rule") == "open_banking_verified":
            value = (rule.get("inputs") or {}).get("obv_reference")
            return value if isinstance(value, str) else None
    return None


def _consent_of(record: ApplicationRecord, reference: str) -> OpenBankingConsent:
    consent = record.open_banking
    if consent is None or consent.reference != reference or consent.state in FINISHED:
        raise _Superseded
    return consent


async def _set_state(
    repository: ApplicationRepository,
    application_id: str,
    reference: str,
    state: ConsentState,
    error: str | None,
) -> ApplicationRecord | None:
    """Record a new consent state (or error); None when the consent is no longer current or
    nothing changed. Progress while the consent is still in progress is bookkeeping (the
    application's version stays); a consent that ends is something the customer can act on."""
    if state in IN_PROGRESS:
        await repository.record_consent_progress(
            application_id, reference=reference, state=state, last_error=error, now=now_utc()
        )
        return None

    def change(record: ApplicationRecord) -> ApplicationRecord:
        consent = _consent_of(record, reference)
        if consent.state == state and consent.last_error == error:
            raise _Superseded  # nothing to write
        updated = msgspec.structs.replace(
            consent, state=state, last_error=error, updated_at=now_utc()
        )
        return msgspec.structs.replace(record, open_banking=updated)

    try:
        return await repository.update(application_id, change)
    except _Superseded:
        return None


def _data(record: ApplicationRecord) -> ApplicationData:
    """The submitted steps (stored validated, as builtins) for the engine."""
    return msgspec.convert(record.steps, ApplicationData)


def _complete(
    record: ApplicationRecord,
    *,
    reference: str,
    summary: OpenBankingSummary,
    product: LoanProduct,
    now: datetime,
) -> ApplicationRecord:
    """Keep the summary and, if the application is still in review, re-run the decision as a
    new version (the consent names it; None: not re-run)."""
    consent = _consent_of(record, reference)
    new_version: int | None = None
    redecided: dict[str, Any] = {}
    if record.status in REDECIDE_STATUSES and record.decision is not None:
        decision = reassess(
            _data(record),
            product=product,
            today=london_date(now),
            summary=summary,
            obv_reference=reference,
        )
        evidence = _evidence_reference(record.decision)
        superseded = DecisionVersion(
            version=record.decision_version,
            decided_at=record.decided_at or record.submitted_at,
            basis="declared" if evidence is None else "verified",
            obv_reference=evidence,
            decision=record.decision,
        )
        new_version = record.decision_version + 1
        redecided = {
            "earlier_decisions": (*record.earlier_decisions, superseded),
            "decision": msgspec.to_builtins(decision, builtin_types=(datetime,)),
            "decision_version": new_version,
            "decided_at": now,
        }
    completed = msgspec.structs.replace(
        consent,
        state=ConsentState.COMPLETED,
        summary=summary,
        decision_version=new_version,
        completed_at=now,
        updated_at=now,
        last_error=None,
    )
    return msgspec.structs.replace(record, open_banking=completed, updated_at=now, **redecided)


async def _enqueue_crm_sync(ctx: dict[str, Any], record: ApplicationRecord) -> None:
    job = CrmSyncJob(application_id=record.id, version=record.version)
    await ctx["redis"].enqueue_job(
        JOB_SYNC_APPLICATION_TO_CRM,
        _job_id=crm_sync_job_id(record.id, record.version),
        **msgspec.structs.asdict(job),
    )


async def check_open_banking(
    ctx: dict[str, Any], application_id: str, reference: str
) -> dict[str, Any]:
    repository = applications(ctx)
    obv: ObvClient = ctx["obv"]
    settings: Settings = ctx["settings"]
    job_try = int(ctx.get("job_try") or 1)
    record = await repository.find(application_id)
    consent = record.open_banking if record is not None else None
    if record is None or consent is None or consent.reference != reference:
        log.info("open_banking_check_skipped", application_id=application_id, reason="superseded")
        return {"status": "skipped", "reason": "superseded"}
    if consent.state in FINISHED:
        if consent.state is ConsentState.COMPLETED:
            # A run killed after its write but before this: the CRM still needs the new state.
            await _enqueue_crm_sync(ctx, record)
        return {"status": consent.state.value}
    try:
        status = await obv.consent(reference)
        if status.status in _CONSENT_STATES:
            written = await _set_state(
                repository, application_id, reference, _CONSENT_STATES[status.status], None
            )
            if written is not None:
                await _enqueue_crm_sync(ctx, written)
            log.info(
                "open_banking_consent_ended", application_id=application_id, status=status.status
            )
            return {"status": _CONSENT_STATES[status.status].value}
        if status.status != "Authorised" or status.report_status != "Ready":
            if status.status == "Authorised":
                await _set_state(
                    repository, application_id, reference, ConsentState.AUTHORISED, None
                )
            raise Retry(defer=settings.obv.poll_interval_seconds)
        fetched = await obv.fetch_report(reference)
        report = report_from_wire(fetched.report, raw=fetched.raw)
    except ReportNotReady as exc:
        raise Retry(defer=settings.obv.poll_interval_seconds) from exc
    except IntegrationError as exc:
        will_retry = exc.retryable and job_try < MAX_TRIES
        state = consent.state if will_retry else ConsentState.FAILED
        await _set_state(repository, application_id, reference, state, exc.summary())
        log.warning(
            "open_banking_check_failed",
            application_id=application_id,
            error=exc.kind,
            retryable=exc.retryable,
            will_retry=will_retry,
        )
        if will_retry:
            raise Retry(
                defer=retry_delay(settings.obv.retry_defer_seconds, job_try, exc.retry_after)
            ) from exc
        return {"status": "failed", "error": exc.kind}
    now = now_utc()
    try:
        written = await repository.update(
            application_id,
            lambda current: _complete(
                current,
                reference=reference,
                summary=report.summary,
                product=ctx["product"],
                now=now,
            ),
        )
    except _Superseded:
        return {"status": "skipped", "reason": "superseded"}
    decision_version = written.open_banking.decision_version if written.open_banking else None
    await _enqueue_crm_sync(ctx, written)
    log.info(
        "open_banking_completed",
        application_id=application_id,
        decision_version=decision_version,
        outcome=(written.decision or {}).get("outcome"),
        transactions=len(report.transactions),
    )
    return {"status": "completed", "decision_version": decision_version}


check_open_banking_function = func(
    check_open_banking,
    name=JOB_CHECK_OPEN_BANKING,
    timeout=JOB_TIMEOUT_SECONDS,
    max_tries=MAX_TRIES,
)
