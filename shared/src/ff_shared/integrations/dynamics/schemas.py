"""The Dataverse entities the platform reads and writes, as they travel on the wire.

Column names are Dataverse's logical names. Reads may ``$select`` a subset, so every column but
the primary key and the ETag is optional. The loan application is the custom table
``ff_loanapplication`` (entity set ``ff_loanapplications``); ``ff_platformid`` carries the
platform's own id and is an alternate key on both tables, which is what makes every write an
idempotent upsert. Choice columns are integers, as Dataverse sends them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Generic, TypeVar

import msgspec

from ff_shared.domain.records import ApplicationStatus

CONTACTS = "contacts"
LOAN_APPLICATIONS = "ff_loanapplications"

ROW = TypeVar("ROW")


class TokenResponse(msgspec.Struct, frozen=True):
    """The OAuth2 token endpoint's answer to a client-credentials grant."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"


class ODataErrorDetail(msgspec.Struct, frozen=True):
    code: str = ""
    message: str = ""


class ODataError(msgspec.Struct, frozen=True):
    """``{"error": {"code": "0x80040217", "message": "..."}}``"""

    error: ODataErrorDetail


class Collection(msgspec.Struct, Generic[ROW], frozen=True):
    """One page of a collection read."""

    value: list[ROW]
    next_link: str | None = msgspec.field(name="@odata.nextLink", default=None)
    count: int | None = msgspec.field(name="@odata.count", default=None)


class ApplicationStatusChoice(enum.IntEnum):
    """``ff_applicationstatus``: the platform's application status as a Dataverse choice."""

    DRAFT = 100_000_000
    IN_REVIEW = 100_000_001
    INFORMATION_REQUESTED = 100_000_002
    AWAITING_SECOND_APPROVAL = 100_000_003
    OFFERED = 100_000_004
    ACCEPTED = 100_000_005
    OFFER_DECLINED = 100_000_006
    DECLINED = 100_000_007
    WITHDRAWN = 100_000_008

    @classmethod
    def of(cls, status: ApplicationStatus) -> ApplicationStatusChoice:
        return cls[status.name]


class DecisionOutcomeChoice(enum.IntEnum):
    """``ff_decisionoutcome``: the decision engine's latest outcome."""

    APPROVE = 100_000_000
    REFER = 100_000_001
    DECLINE = 100_000_002

    @classmethod
    def of(cls, outcome: str) -> DecisionOutcomeChoice:
        return cls[outcome.upper()]


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """A ``contacts`` row as read."""

    contactid: str
    etag: str = msgspec.field(name="@odata.etag")
    ff_platformid: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    emailaddress1: str | None = None
    mobilephone: str | None = None
    birthdate: date | None = None
    address1_line1: str | None = None
    address1_line2: str | None = None
    address1_city: str | None = None
    address1_postalcode: str | None = None
    address1_country: str | None = None
    createdon: datetime | None = None
    modifiedon: datetime | None = None


class ContactWrite(msgspec.Struct, frozen=True, kw_only=True):
    """The columns the platform owns on a contact; ``ff_platformid`` is the customer's id."""

    ff_platformid: str
    firstname: str | None = None
    lastname: str | None = None
    emailaddress1: str | None = None
    mobilephone: str | None = None
    birthdate: date | None = None
    address1_line1: str | None = None
    address1_line2: str | None = None
    address1_city: str | None = None
    address1_postalcode: str | None = None
    address1_country: str | None = None


class LoanApplication(msgspec.Struct, frozen=True, kw_only=True):
    """An ``ff_loanapplications`` row as read. ``contact_id`` is the ``ff_Contact`` lookup."""

    ff_loanapplicationid: str
    etag: str = msgspec.field(name="@odata.etag")
    ff_platformid: str | None = None
    ff_name: str | None = None
    """The application's reference (FF-XXXXXXXX), the row's primary name."""
    ff_obvreference: str | None = None
    ff_applicationstatus: int | None = None
    ff_decisionoutcome: int | None = None
    ff_decisionreasons: str | None = None
    ff_decisionversion: int | None = None
    ff_requestedamountpence: int | None = None
    ff_requestedtermmonths: int | None = None
    ff_offeredamountpence: int | None = None
    ff_offeredtermmonths: int | None = None
    ff_submittedon: datetime | None = None
    ff_decidedon: datetime | None = None
    contact_id: str | None = msgspec.field(name="_ff_contact_value", default=None)
    createdon: datetime | None = None
    modifiedon: datetime | None = None

    @property
    def status(self) -> ApplicationStatus | None:
        if self.ff_applicationstatus is None:
            return None
        try:
            return ApplicationStatus[ApplicationStatusChoice(self.ff_applicationstatus).name]
        except ValueError:
            return None


class LoanApplicationWrite(msgspec.Struct, frozen=True, kw_only=True):
    """The columns the platform owns on a loan application.

    ``contact_bind`` is the ``ff_Contact`` lookup as Dataverse binds it: ``/contacts(<guid>)``.
    """

    ff_platformid: str
    ff_name: str
    contact_bind: str | None = msgspec.field(name="ff_Contact@odata.bind", default=None)
    ff_obvreference: str | None = None
    ff_applicationstatus: int
    ff_decisionoutcome: int | None = None
    ff_decisionreasons: str | None = None
    ff_decisionversion: int | None = None
    ff_requestedamountpence: int | None = None
    ff_requestedtermmonths: int | None = None
    ff_offeredamountpence: int | None = None
    ff_offeredtermmonths: int | None = None
    ff_submittedon: datetime | None = None
    ff_decidedon: datetime | None = None


def contact_bind(contact_id: str) -> str:
    return f"/{CONTACTS}({contact_id})"


LOAN_APPLICATION_COLUMNS: tuple[str, ...] = tuple(
    f.encode_name
    for f in msgspec.structs.fields(LoanApplication)
    if not f.encode_name.startswith("@")
)
CONTACT_COLUMNS: tuple[str, ...] = tuple(
    f.encode_name for f in msgspec.structs.fields(Contact) if not f.encode_name.startswith("@")
)
