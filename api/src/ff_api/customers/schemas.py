"""Bodies for customers: the customer's own profile, and staff's view of a customer (identity,
applications, documents, notes) with the edits staff may make."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from ff_api.documents.schemas import DocumentView
from ff_api.schemas import NoteView, Text, Version
from ff_shared.domain.records import ContactChannel, CustomerProfile
from ff_shared.domain.steps import EMAIL_PATTERN

UNSET = msgspec.UNSET
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=EMAIL_PATTERN)]
Mobile = Annotated[str, msgspec.Meta(pattern=r"^(?:\+44\s?7|07)\d{3}\s?\d{3}\s?\d{3}$")]


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


class SettingsView(msgspec.Struct, kw_only=True):
    marketing_opt_in: bool
    contact_channel: ContactChannel
    paperless: bool


class MeView(msgspec.Struct, kw_only=True):
    id: str
    email: str | None
    preferred_name: str | None
    mobile: str | None
    settings: SettingsView
    version: int
    created_at: datetime
    updated_at: datetime


class SettingsPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    marketing_opt_in: bool | msgspec.UnsetType = UNSET
    contact_channel: ContactChannel | msgspec.UnsetType = UNSET
    paperless: bool | msgspec.UnsetType = UNSET


class MePatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Annotated[
        int, msgspec.Meta(ge=1, description="The profile version the change is based on")
    ]
    preferred_name: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=60)] | msgspec.UnsetType | None
    ) = UNSET
    mobile: (
        Annotated[str, msgspec.Meta(pattern=r"^(?:\+44\s?7|07)\d{3}\s?\d{3}\s?\d{3}$")]
        | msgspec.UnsetType
        | None
    ) = UNSET
    settings: SettingsPatch | msgspec.UnsetType = UNSET


def me_view(profile: CustomerProfile) -> MeView:
    return MeView(
        id=profile.id,
        email=profile.email,
        preferred_name=profile.preferred_name,
        mobile=profile.mobile,
        settings=msgspec.convert(msgspec.to_builtins(profile.settings), SettingsView),
        version=profile.version,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
