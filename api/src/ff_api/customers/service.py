"""Customers: the customer's own profile and settings, and the staff's search, view, edits and
notes (each edit audited with before and after)."""

from __future__ import annotations

from typing import Any

import msgspec

from ff_api import jobs, pagination
from ff_api.audit import service as auditing
from ff_api.customers.schemas import (
    ApplicationSummary,
    CustomerNoteBody,
    CustomerPage,
    CustomerPatch,
    CustomerSummary,
    Identity,
    MePatch,
    StaffCustomerView,
)
from ff_api.documents.schemas import document_view
from ff_api.schemas import note_view
from ff_api.security import CustomerPrincipal, StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.audit import Target
from ff_shared.domain.records import ApplicationRecord, CustomerProfile
from ff_shared.errors import CustomerErased, StaleVersion
from ff_shared.stores.mongo import customer_search, customers, notes, uploads
from ff_shared.stores.mongo.notes import Note

UNSET = msgspec.UNSET
PROFILE_FIELDS = ("email", "preferred_name", "mobile")


async def me(principal: CustomerPrincipal) -> CustomerProfile:
    return await customers.ensure_profile(
        principal.customer_id, email=principal.email, now=now_utc()
    )


async def update_me(principal: CustomerPrincipal, data: MePatch) -> CustomerProfile:
    await me(principal)
    changes: dict[str, Any] = {}
    for name in ("preferred_name", "mobile"):
        value = getattr(data, name)
        if value is not UNSET:
            changes[name] = value
    if data.settings is not UNSET:
        for name in ("marketing_opt_in", "contact_channel", "paperless"):
            value = getattr(data.settings, name)
            if value is not UNSET:
                changes[f"settings.{name}"] = value
    return await customers.update_profile(
        principal.customer_id, expected_version=data.version, changes=changes, now=now_utc()
    )


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


async def customer_view(services: Services, customer_id: str) -> StaffCustomerView:
    profile = await customers.get_profile(customer_id)
    records = await services.applications.all_for_customer(customer_id)
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


async def _editable(customer_id: str, version: int) -> CustomerProfile:
    profile = await customers.get_profile(customer_id)
    if profile.erased_at is not None:
        raise CustomerErased("the customer's personal data has been erased")
    if profile.version != version:
        raise StaleVersion(f"the customer is at version {profile.version}, not {version}")
    return profile


async def search(
    services: Services, q: str | None, *, cursor: str | None, limit: int
) -> CustomerPage:
    ids = await customer_search.search(
        services.applications,
        q,
        after_id=pagination.id_after(cursor, uuid_ids=False) if cursor else None,
        limit=limit + 1,
    )
    page = ids[:limit]
    items = [
        _summary(await customers.get_profile(i), await services.applications.all_for_customer(i))
        for i in page
    ]
    return CustomerPage(
        items=items, next_cursor=pagination.id_cursor(page[-1]) if len(ids) > limit else None
    )


async def update(
    services: Services, staff: StaffPrincipal, customer_id: str, data: CustomerPatch
) -> None:
    """Correct contact details; only what differs is written and audited, and the CRM contact
    is brought up to the new profile (queued just before the write it follows)."""
    current = await _editable(customer_id, data.version)
    changes = {
        name: getattr(data, name)
        for name in PROFILE_FIELDS
        if getattr(data, name) is not UNSET and getattr(data, name) != getattr(current, name)
    }
    if changes:
        now = now_utc()
        await jobs.enqueue_customer_sync(services, customer_id, data.version + 1)
        await customers.update_profile(
            customer_id, expected_version=data.version, changes=changes, now=now
        )
        await auditing.record_staff(
            staff,
            "customer.updated",
            Target(type="customer", id=customer_id),
            now=now,
            customer_id=customer_id,
            before={name: getattr(current, name) for name in changes},
            after=changes,
        )


async def add_note(staff: StaffPrincipal, customer_id: str, data: CustomerNoteBody) -> Note:
    await _editable(customer_id, data.version)
    now = now_utc()
    note = await notes.add(
        customer_id=customer_id,
        application_id=None,
        author=auditing.staff_ref(staff),
        text=data.text,
        now=now,
    )
    await auditing.record_staff(
        staff,
        "customer.note_added",
        Target(type="customer", id=customer_id),
        now=now,
        customer_id=customer_id,
        after={"note_id": note.id, "text": note.text},
    )
    return note
