"""Staff routes over customers: search, the customer view, profile edits (audited with before and
after) and notes. The data-protection requests on a customer are in ``ff_api.privacy``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from ff_api.customers import service
from ff_api.customers.schemas import (
    CustomerNoteBody,
    CustomerPage,
    CustomerPatch,
    StaffCustomerView,
)
from ff_api.schemas import NoteView, note_view
from ff_api.security import StaffPrincipal
from ff_api.services import Services


class StaffCustomerController(Controller):
    path = "/customers"
    tags = ["staff: customers"]

    @get(
        operation_id="staff_search_customers",
        summary="Find customers by name, e-mail, phone, postcode or application reference",
        opt={"permission": "customers.read"},
    )
    async def search(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the last page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 25,
    ) -> CustomerPage:
        return await service.search(services, q, cursor=cursor, limit=limit)

    @get(
        "/{customer_id:str}",
        operation_id="staff_get_customer",
        summary="A customer: profile, identity, applications, documents and notes",
        opt={"permission": "customers.read"},
    )
    async def get_one(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
    ) -> StaffCustomerView:
        return await service.customer_view(services, customer_id)

    @patch(
        "/{customer_id:str}",
        operation_id="staff_update_customer",
        summary="Correct a customer's contact details (audited; the CRM contact follows)",
        opt={"permission": "customers.edit"},
    )
    async def update(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
        data: JSONBody[CustomerPatch],
    ) -> StaffCustomerView:
        await service.update(services, staff, customer_id, data)
        return await service.customer_view(services, customer_id)

    @post(
        "/{customer_id:str}/notes",
        operation_id="staff_add_customer_note",
        summary="Add a note to the customer's file",
        status_code=HTTP_201_CREATED,
        opt={"permission": "customers.note"},
    )
    async def add_note(
        self,
        staff: NamedDependency[StaffPrincipal],
        customer_id: FromPath[str],
        data: JSONBody[CustomerNoteBody],
    ) -> NoteView:
        return note_view(await service.add_note(staff, customer_id, data))
