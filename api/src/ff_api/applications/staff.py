"""Staff routes over applications: the review queue, the detail view and the review actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.applications import review, service
from ff_api.applications.service import Sort
from ff_api.applications.staff_schemas import (
    ApproveBody,
    AssignBody,
    DeclineBody,
    NoteBody,
    QueueCounts,
    QueuePage,
    RequestInformationBody,
    StaffApplicationDetail,
)
from ff_api.schemas import NoteView, VersionBody, note_view
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.domain.decision import Outcome
from ff_shared.domain.records import ApplicationStatus

StatusFilter = Annotated[
    list[ApplicationStatus] | None,
    QueryParameter(description="Only these statuses (repeat the parameter for several)"),
]
AssignedTo = Annotated[
    str | None,
    QueryParameter(description="A staff member's id, `me`, or `none` for unassigned applications"),
]
Amount = Annotated[int | None, QueryParameter(ge=0, description="Requested amount bound, in pence")]
When = Annotated[datetime | None, QueryParameter(description="Submission time bound (ISO 8601)")]
Query = Annotated[
    str | None,
    QueryParameter(
        max_length=200, description="Free text matched against name, e-mail and reference"
    ),
]


class StaffApplicationController(Controller):
    path = "/applications"
    tags = ["staff: applications"]

    @get(
        operation_id="staff_list_applications",
        summary="The review queue: filtered, sorted, cursor-paginated",
        opt={"permission": "applications.read"},
    )
    async def list_applications(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        status: StatusFilter = None,
        outcome: FromQuery[Outcome | None] = None,
        assigned_to: AssignedTo = None,
        min_amount_pence: Amount = None,
        max_amount_pence: Amount = None,
        submitted_from: When = None,
        submitted_to: When = None,
        q: Query = None,
        sort: Annotated[
            Sort, QueryParameter(description="Sort key; a leading - sorts newest or largest first")
        ] = "submitted_at",
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the last page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 25,
    ) -> QueuePage:
        where = service.queue_filter(
            staff,
            status=status,
            outcome=outcome,
            assigned_to=assigned_to,
            min_amount_pence=min_amount_pence,
            max_amount_pence=max_amount_pence,
            submitted_from=submitted_from,
            submitted_to=submitted_to,
            q=q,
        )
        return await service.list_queue(services, where, sort=sort, cursor=cursor, limit=limit)

    @get(
        "/counts",
        operation_id="staff_count_applications",
        summary="How many applications each status holds, for the queue's tabs",
        opt={"permission": "applications.read"},
    )
    async def counts(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        outcome: FromQuery[Outcome | None] = None,
        assigned_to: AssignedTo = None,
        min_amount_pence: Amount = None,
        max_amount_pence: Amount = None,
        submitted_from: When = None,
        submitted_to: When = None,
        q: Query = None,
    ) -> QueueCounts:
        where = service.queue_filter(
            staff,
            status=None,
            outcome=outcome,
            assigned_to=assigned_to,
            min_amount_pence=min_amount_pence,
            max_amount_pence=max_amount_pence,
            submitted_from=submitted_from,
            submitted_to=submitted_to,
            q=q,
        )
        return await service.queue_counts(services, where)

    @get(
        "/{application_id:str}",
        operation_id="staff_get_application",
        summary="One application with its decision trace, notes, documents and audit trail",
        opt={"permission": "applications.read"},
    )
    async def get_one(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
    ) -> StaffApplicationDetail:
        return await service.detail(services, application_id)

    @post(
        "/{application_id:str}/assign",
        operation_id="staff_assign_application",
        summary="Take an application (or give it to a colleague)",
        status_code=HTTP_200_OK,
        opt={"permission": "applications.assign"},
    )
    async def assign(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        data: JSONBody[AssignBody],
    ) -> StaffApplicationDetail:
        await review.assign(services, staff, application_id, data)
        return await service.detail(services, application_id)

    @post(
        "/{application_id:str}/unassign",
        operation_id="staff_unassign_application",
        summary="Put an application back in the unassigned queue",
        status_code=HTTP_200_OK,
        opt={"permission": "applications.assign"},
    )
    async def unassign(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        data: JSONBody[VersionBody],
    ) -> StaffApplicationDetail:
        await review.unassign(services, staff, application_id, data.version)
        return await service.detail(services, application_id)

    @post(
        "/{application_id:str}/approve",
        operation_id="staff_approve_application",
        summary="Approve with an offer; above the four-eyes threshold it awaits a second approval",
        status_code=HTTP_200_OK,
        opt={"permission": "applications.decide"},
    )
    async def approve(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        data: JSONBody[ApproveBody],
    ) -> StaffApplicationDetail:
        await review.approve(services, staff, application_id, data)
        return await service.detail(services, application_id)

    @post(
        "/{application_id:str}/confirm-approval",
        operation_id="staff_confirm_approval",
        summary="Confirm another senior underwriter's approval (four eyes)",
        status_code=HTTP_200_OK,
        opt={"permission": "applications.confirm"},
    )
    async def confirm_approval(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        data: JSONBody[VersionBody],
    ) -> StaffApplicationDetail:
        await review.confirm_approval(services, staff, application_id, data.version)
        return await service.detail(services, application_id)

    @post(
        "/{application_id:str}/decline",
        operation_id="staff_decline_application",
        summary="Decline with a reason code and a note for the file",
        status_code=HTTP_200_OK,
        opt={"permission": "applications.decide"},
    )
    async def decline(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        data: JSONBody[DeclineBody],
    ) -> StaffApplicationDetail:
        await review.decline(services, staff, application_id, data)
        return await service.detail(services, application_id)

    @post(
        "/{application_id:str}/request-information",
        operation_id="staff_request_information",
        summary="Ask the customer for what is needed to decide",
        status_code=HTTP_200_OK,
        opt={"permission": "applications.decide"},
    )
    async def request_information(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        data: JSONBody[RequestInformationBody],
    ) -> StaffApplicationDetail:
        await review.request_information(services, staff, application_id, data)
        return await service.detail(services, application_id)

    @post(
        "/{application_id:str}/notes",
        operation_id="staff_add_application_note",
        summary="Add a note to the application's file",
        status_code=HTTP_201_CREATED,
        opt={"permission": "applications.note"},
    )
    async def add_note(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: FromPath[str],
        data: JSONBody[NoteBody],
    ) -> NoteView:
        return note_view(await review.add_note(services, staff, application_id, data))
