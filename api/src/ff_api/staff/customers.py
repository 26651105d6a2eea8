"""Staff routes over customers: search, the customer view, profile edits (audited with before and
after), notes, and the data-protection requests (export, erasure)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_api.staff import auditing, privacy
from ff_api.staff.privacy import ErasureReport
from ff_api.staff.views import (
    DocumentView,
    NoteView,
    Text,
    Version,
    VersionBody,
    document_view,
    note_view,
)
from ff_shared.clock import now_utc
from ff_shared.domain.audit import Target
from ff_shared.domain.records import ApplicationRecord, CustomerProfile
from ff_shared.domain.steps import EMAIL_PATTERN
from ff_shared.errors import CustomerErased, FieldProblem, InvalidInput, StaleVersion
from ff_shared.stores.mongo import customer_search, customers, notes, review, uploads

UNSET = msgspec.UNSET
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=EMAIL_PATTERN)]
Mobile = Annotated[str, msgspec.Meta(pattern=r"^(?:\+44\s?7|07)\d{3}\s?\d{3}\s?\d{3}$")]
PROFILE_FIELDS = ("email", "preferred_name", "mobile")


class ApplicationSummary(msgspec.Struct, kw_only=True):
    id: str
    reference: str
    status: str
    version: int
    amount_pence: int | None
    created_at: datetime
    submitted_at: datetime | None


class Identity(msgspec.Struct, kw_only=True):
    """Who the customer said they were on their latest application."""

    title: str | None
    first_name: str | None
    last_name: str | None
    date_of_birth: str | None
    email: str | None
    mobile: str | None
    address: dict[str, Any] | None


class CustomerSummary(msgspec.Struct, kw_only=True):
    id: str
    name: str | None
    email: str | None
    mobile: str | None
    postcode: str | None
    references: list[str]
    erased_at: datetime | None


class CustomerPage(msgspec.Struct, kw_only=True):
    items: list[CustomerSummary]
    next_cursor: str | None


class StaffCustomerView(msgspec.Struct, kw_only=True):
    id: str
    email: str | None
    preferred_name: str | None
    mobile: str | None
    settings: dict[str, Any]
    version: int
    """Send it back with an edit: a stale one is refused with 409."""
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None
    identity: Identity | None
    applications: list[ApplicationSummary]
    documents: list[DocumentView]
    notes: list[NoteView]


class CustomerPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    email: Email | msgspec.UnsetType | None = UNSET
    preferred_name: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=60)] | msgspec.UnsetType | None
    ) = UNSET
    mobile: Mobile | msgspec.UnsetType | None = UNSET


class CustomerNoteBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    text: Text


def _identity(records: list[ApplicationRecord]) -> Identity | None:
    latest = next((r for r in reversed(records) if r.steps.get("personal")), None)
    if latest is None:
        return None
    personal = latest.steps["personal"]
    return Identity(
        title=personal.get("title"),
        first_name=personal.get("first_name"),
        last_name=personal.get("last_name"),
        date_of_birth=personal.get("date_of_birth"),
        email=personal.get("email"),
        mobile=personal.get("mobile"),
        address=latest.steps.get("address"),
    )


def _summary(profile: CustomerProfile, records: list[ApplicationRecord]) -> CustomerSummary:
    identity = _identity(records)
    names = [identity.first_name, identity.last_name] if identity else []
    address = identity.address if identity else None
    return CustomerSummary(
        id=profile.id,
        name=" ".join(n for n in names if n) or profile.preferred_name,
        email=profile.email or (identity.email if identity else None),
        mobile=profile.mobile or (identity.mobile if identity else None),
        postcode=address.get("postcode") if address else None,
        references=[r.reference for r in records],
        erased_at=profile.erased_at,
    )


def _application_summary(record: ApplicationRecord) -> ApplicationSummary:
    return ApplicationSummary(
        id=record.id,
        reference=record.reference,
        status=record.status.value,
        version=record.version,
        amount_pence=record.steps.get("loan", {}).get("amount_pence"),
        created_at=record.created_at,
        submitted_at=record.submitted_at,
    )


async def customer_view(customer_id: str) -> StaffCustomerView:
    profile = await customers.get_profile(customer_id)
    records = await review.for_customer(customer_id)
    return StaffCustomerView(
        id=profile.id,
        email=profile.email,
        preferred_name=profile.preferred_name,
        mobile=profile.mobile,
        settings=msgspec.to_builtins(profile.settings),
        version=profile.version,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
        erased_at=profile.erased_at,
        identity=_identity(records),
        applications=[_application_summary(r) for r in records],
        documents=[document_view(d) for d in await uploads.for_customer(customer_id)],
        notes=[note_view(n) for n in await notes.for_customer(customer_id)],
    )


def _cursor(customer_id: str) -> str:
    return base64.urlsafe_b64encode(customer_id.encode()).decode().rstrip("=")


def _after(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "the cursor is not one this API issued",
            errors=[FieldProblem(path="cursor", message="is not a valid cursor")],
        ) from exc


async def _editable(customer_id: str, version: int) -> CustomerProfile:
    profile = await customers.get_profile(customer_id)
    if profile.erased_at is not None:
        raise CustomerErased("the customer's personal data has been erased")
    if profile.version != version:
        raise StaleVersion(f"the customer is at version {profile.version}, not {version}")
    return profile


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
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the last page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 25,
    ) -> CustomerPage:
        ids = await customer_search.search(
            q, after_id=_after(cursor) if cursor else None, limit=limit + 1
        )
        page = ids[:limit]
        items = [
            _summary(await customers.get_profile(i), await review.for_customer(i)) for i in page
        ]
        return CustomerPage(
            items=items, next_cursor=_cursor(page[-1]) if len(ids) > limit else None
        )

    @get(
        "/{customer_id:str}",
        operation_id="staff_get_customer",
        summary="A customer: profile, identity, applications, documents and notes",
        opt={"permission": "customers.read"},
    )
    async def get_one(
        self, staff: NamedDependency[StaffPrincipal], customer_id: FromPath[str]
    ) -> StaffCustomerView:
        return await customer_view(customer_id)

    @patch(
        "/{customer_id:str}",
        operation_id="staff_update_customer",
        summary="Correct a customer's contact details (audited with before and after)",
        opt={"permission": "customers.edit"},
    )
    async def update(
        self,
        staff: NamedDependency[StaffPrincipal],
        customer_id: FromPath[str],
        data: JSONBody[CustomerPatch],
    ) -> StaffCustomerView:
        current = await _editable(customer_id, data.version)
        changes = {
            name: getattr(data, name)
            for name in PROFILE_FIELDS
            if getattr(data, name) is not UNSET and getattr(data, name) != getattr(current, name)
        }
        if changes:
            now = now_utc()
            await customers.update_profile(
                customer_id, expected_version=data.version, changes=changes, now=now
            )
            await auditing.record(
                staff,
                "customer.updated",
                Target(type="customer", id=customer_id),
                now=now,
                customer_id=customer_id,
                before={name: getattr(current, name) for name in changes},
                after=changes,
            )
        return await customer_view(customer_id)

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
        await _editable(customer_id, data.version)
        now = now_utc()
        note = await notes.add(
            customer_id=customer_id,
            application_id=None,
            author=auditing.staff_ref(staff),
            text=data.text,
            now=now,
        )
        await auditing.record(
            staff,
            "customer.note_added",
            Target(type="customer", id=customer_id),
            now=now,
            customer_id=customer_id,
            after={"note_id": note.id, "text": note.text},
        )
        return note_view(note)

    @get(
        "/{customer_id:str}/export",
        operation_id="staff_export_customer",
        summary="Subject access: everything held about the customer, as one JSON document",
        opt={"permission": "customers.export"},
    )
    async def export(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
    ) -> Response[dict[str, Any]]:
        document = await privacy.export(services, staff, customer_id)
        return Response(
            document,
            headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'},
        )

    @post(
        "/{customer_id:str}/erase",
        operation_id="staff_erase_customer",
        summary="Erase the customer's personal data; lists what a loan record must keep",
        status_code=HTTP_200_OK,
        opt={"permission": "customers.erase"},
    )
    async def erase(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        customer_id: FromPath[str],
        data: JSONBody[VersionBody],
    ) -> ErasureReport:
        return await privacy.erase(services, staff, customer_id, data.version)
