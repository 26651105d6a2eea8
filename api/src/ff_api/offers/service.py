"""The customer's side of a decision: accept or decline the offer, answer a request for
information. Each is a state-machine transition of the customer's own application
(:mod:`ff_shared.domain.review_actions`), written through the repository over the version read,
then audited.

Accepting enqueues the loan's creation in the LMS with a job id derived from the application, so
repeating an acceptance (a retry after a dropped connection) never books a second loan; the
repeat answers 200 and re-enqueues, which also recovers an acceptance whose enqueue failed.
"""

from __future__ import annotations

import structlog

from ff_api.audit import service as auditing
from ff_api.jobs import enqueue_effects
from ff_api.offers.schemas import InformationResponse
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain import review_actions
from ff_shared.domain.audit import Target
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.domain.review_actions import ACCEPTED_FOLLOW_UPS, Reviewed

log = structlog.get_logger()


async def _current(
    services: Services, customer: CustomerPrincipal, application_id: str, version: int | None
) -> ApplicationRecord:
    """The customer's own application, at the version they saw when they sent one."""
    return await services.applications.get(
        application_id, customer_id=customer.customer_id, expected_version=version
    )


async def _apply(
    services: Services, customer: CustomerPrincipal, current: ApplicationRecord, answer: Reviewed
) -> ApplicationRecord:
    saved = await services.applications.save(answer.application, expected_version=current.version)
    await auditing.record_customer(
        customer,
        answer.audit.action,
        Target(type="application", id=saved.id),
        now=saved.updated_at,
        before=answer.audit.before,
        after=answer.audit.after,
    )
    log.info("application_answered", application_id=saved.id, action=answer.audit.action)
    return saved


async def accept_offer(
    services: Services, customer: CustomerPrincipal, application_id: str, version: int | None
) -> ApplicationRecord:
    current = await services.applications.get(application_id, customer_id=customer.customer_id)
    if current.status is ApplicationStatus.ACCEPTED:
        record = current
    else:
        current = await _current(services, customer, application_id, version)
        record = await _apply(
            services, customer, current, review_actions.accept_offer(current, now=now_utc())
        )
    # After the write: the booking job skips an application that is not accepted yet.
    await enqueue_effects(services, record.id, record.version, follow_ups=ACCEPTED_FOLLOW_UPS)
    return record


async def decline_offer(
    services: Services, customer: CustomerPrincipal, application_id: str, version: int | None
) -> ApplicationRecord:
    current = await _current(services, customer, application_id, version)
    answer = review_actions.decline_offer(current, now=now_utc())
    return await _apply(services, customer, current, answer)


async def provide_information(
    services: Services,
    customer: CustomerPrincipal,
    application_id: str,
    version: int | None,
    body: InformationResponse,
) -> ApplicationRecord:
    current = await _current(services, customer, application_id, version)
    answer = review_actions.provide_information(current, message=body.message, now=now_utc())
    return await _apply(services, customer, current, answer)
