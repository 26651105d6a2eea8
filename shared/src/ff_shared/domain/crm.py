"""An application's record in the CRM (Dynamics 365), as the sync job leaves it."""

import enum
from datetime import datetime

import msgspec


class CrmSyncState(enum.StrEnum):
    SYNCING = "syncing"
    """The job is writing to the CRM (or was stopped while writing)."""
    RETRYING = "retrying"
    """The last try failed in a way that may pass; the job will try again."""
    SYNCED = "synced"
    FAILED = "failed"
    """The CRM refused the record, or every try failed: staff must look."""


class CrmSync(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's contact and the application's ``ff_loanapplications`` row in Dynamics."""

    state: CrmSyncState
    contact_id: str | None = None
    """The Dynamics ``contactid`` of the customer."""
    application_id: str | None = None
    """The Dynamics ``ff_loanapplicationid`` of the application."""
    last_error: str | None = None
    """What the last failed try reported (no bodies, no personal data)."""
    attempts: int = 0
    synced_version: int | None = None
    """The application version whose content the CRM record holds."""
    synced_at: datetime | None = None
    updated_at: datetime
