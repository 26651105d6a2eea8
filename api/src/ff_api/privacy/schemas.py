"""What an erasure did, and what it had to keep."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ff_shared.domain.privacy import Retained
from ff_shared.domain.privacy_retention import Erased


class ErasureReport(msgspec.Struct, kw_only=True):
    customer_id: str
    erased_at: datetime
    applications_anonymised: int
    applications_withdrawn: int
    documents_deleted: int
    notes_erased: int
    identity_deleted: bool
    """The customer's login was removed from the customer user pool."""
    audit_key_destroyed: bool
    erased: list[Erased]
    """Everything erased (or, for the CRM, queued to be emptied), where, and the legal basis."""
    retained: list[Retained]
    """Everything kept, where it is, and the legal reason it must be kept."""
