"""The customer's side of a decision: accept or decline the offer, answer a request for
information. Each is a state-machine transition of the customer's own application, audited.

Accepting enqueues the loan's creation in the LMS with a job id derived from the application, so
repeating an acceptance (a retry after a dropped connection) never books a second loan; the
repeat answers 200 and re-enqueues, which also recovers an acceptance whose enqueue failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
import structlog

from ff_api.audit import service as auditing
from ff_api.jobs import enqueue, enqueue_crm_sync
from ff_api.offers.schemas import InformationResponse
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain import lifecycle
from ff_shared.domain.audit import Target, changes
from ff_shared.domain.lifecycle import Action
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import IllegalTransition
from ff_shared.jobs import JOB_CREATE_LMS_LOAN, lms_loan_job_id
from ff_shared.stores.mongo import applications, review

log = structlog.get_logger()

Edit = Callable[[dict[str, Any], datetime], None]
"""Changes the raw application for the answer, at the given time."""


async def _respond(
    customer: CustomerPrincipal,
    application_id: str,
    expected_version: int | None,
    *,
    action: Action,
    audit_action: str,
    edit: Edit,
) -> ApplicationRecord:
    now = now_utc()

    def change(raw: dict[str, Any], current: ApplicationRecord) -> None:
        target = lifecycle.next_status(current.status, action)
        raw["status"] = target.value
        raw["updated_at"] = now
        edit(raw, now)

    changed, _ = await review.change_application(
        application_id,
        change,
        expected_version=expected_version,
        customer_id=customer.customer_id,
    )
    keys = ("status", "offer", "information_request")
    before, after = changes(
        msgspec.to_builtins(changed.before), msgspec.to_builtins(changed.after), keys
    )
    await auditing.record_customer(
        customer,
        audit_action,
        Target(type="application", id=application_id),
        now=now,
        before=before,
        after=after,
    )
    log.info("application_answered", application_id=application_id, action=action.value)
    return changed.after


def _answer_offer(response: str) -> Edit:
    def edit(raw: dict[str, Any], now: datetime) -> None:
        offer = raw.get("offer")
        if not isinstance(offer, dict):
            raise IllegalTransition("the application has no offer to answer")
        offer.update(response=response, responded_at=now)

    return edit


async def accept_offer(
    services: Services, customer: CustomerPrincipal, application_id: str, version: int | None
) -> ApplicationRecord:
    current = await applications.get_application(application_id, customer_id=customer.customer_id)
    if current.status is ApplicationStatus.ACCEPTED:
        record = current
    else:
        record = await _respond(
            customer,
            application_id,
            version,
            action=Action.ACCEPT_OFFER,
            audit_action="application.offer_accepted",
            edit=_answer_offer("accepted"),
        )
    await enqueue(
        services,
        JOB_CREATE_LMS_LOAN,
        job_id=lms_loan_job_id(application_id),
        application_id=application_id,
    )
    await enqueue_crm_sync(services, application_id, record.version)
    return record


async def decline_offer(
    customer: CustomerPrincipal, application_id: str, version: int | None
) -> ApplicationRecord:
    return await _respond(
        customer,
        application_id,
        version,
        action=Action.DECLINE_OFFER,
        audit_action="application.offer_declined",
        edit=_answer_offer("declined"),
    )


async def provide_information(
    customer: CustomerPrincipal,
    application_id: str,
    version: int | None,
    body: InformationResponse,
) -> ApplicationRecord:
    def edit(raw: dict[str, Any], now: datetime) -> None:
        request = raw.get("information_request")
        if not isinstance(request, dict):
            raise IllegalTransition("nothing was asked of you on this application")
        request.update(response=body.message, responded_at=now)

    return await _respond(
        customer,
        application_id,
        version,
        action=Action.PROVIDE_INFORMATION,
        audit_action="application.information_provided",
        edit=edit,
    )
