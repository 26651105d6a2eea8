"""The customer's side of a decision: accept or decline the offer, answer a request for
information. Each is a state-machine transition of the customer's own application, audited.

Accepting enqueues the loan's creation in the LMS with a job id derived from the application, so
repeating an acceptance (a retry after a dropped connection) never books a second loan; the
repeat answers 200 and re-enqueues, which also recovers an acceptance whose enqueue failed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import msgspec
import structlog
from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK

from ff_api.customer import auditing
from ff_api.customer.schemas import ApplicationView, application_view
from ff_api.jobs import enqueue, enqueue_crm_sync
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain import lifecycle
from ff_shared.domain.application import STEPS
from ff_shared.domain.audit import Target, changes
from ff_shared.domain.lifecycle import Action
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import FieldProblem, IllegalTransition, InvalidInput
from ff_shared.jobs import JOB_CREATE_LMS_LOAN, lms_loan_job_id
from ff_shared.stores.mongo import applications, review

log = structlog.get_logger()

_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')
IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The application's ETag (version) you saw"),
]


def if_match_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise InvalidInput(
            'If-Match must be the ETag of the application, e.g. "3"',
            errors=[FieldProblem(path="header.If-Match", message="is not a version ETag")],
        )
    return int(match.group(1))


def _view(record: ApplicationRecord) -> Response[ApplicationView]:
    return Response(
        application_view(record, STEPS),
        status_code=HTTP_200_OK,
        headers={"ETag": f'"{record.version}"'},
    )


class InformationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")] | None = (
        None
    )
    """Anything the reviewer should know; documents are uploaded separately (/v1/documents)."""


async def _respond(
    customer: CustomerPrincipal,
    application_id: str,
    expected_version: int | None,
    *,
    action: Action,
    audit_action: str,
    edit: Any,
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
    await auditing.record(
        customer,
        audit_action,
        Target(type="application", id=application_id),
        now=now,
        before=before,
        after=after,
    )
    log.info("application_answered", application_id=application_id, action=action.value)
    return changed.after


def _answer_offer(response: str) -> Any:
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


class OfferController(Controller):
    path = "/applications"
    tags = ["customer: applications"]

    @post(
        "/{application_id:str}/offer/accept",
        operation_id="accept_offer",
        summary="Accept the offer: the loan is then set up (safe to repeat)",
        status_code=HTTP_200_OK,
    )
    async def accept(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        if_match: IfMatch = None,
    ) -> Response[ApplicationView]:
        record = await accept_offer(services, customer, application_id, if_match_version(if_match))
        return _view(record)

    @post(
        "/{application_id:str}/offer/decline",
        operation_id="decline_offer",
        summary="Decline the offer",
        status_code=HTTP_200_OK,
    )
    async def decline(
        self,
        customer: NamedDependency[CustomerPrincipal],
        application_id: FromPath[str],
        if_match: IfMatch = None,
    ) -> Response[ApplicationView]:
        record = await decline_offer(customer, application_id, if_match_version(if_match))
        return _view(record)

    @post(
        "/{application_id:str}/information",
        operation_id="provide_information",
        summary="Tell the reviewer the information they asked for is provided",
        status_code=HTTP_200_OK,
    )
    async def provide_information(
        self,
        customer: NamedDependency[CustomerPrincipal],
        application_id: FromPath[str],
        data: JSONBody[InformationResponse],
        if_match: IfMatch = None,
    ) -> Response[ApplicationView]:
        record = await provide_information(
            customer, application_id, if_match_version(if_match), data
        )
        return _view(record)
