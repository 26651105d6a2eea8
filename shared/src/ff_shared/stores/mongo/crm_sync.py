"""What the CRM sync and open-banking jobs read from and write on an application.

Like :mod:`ff_shared.stores.mongo.lms_sync`, these take the database handle, so a worker needs a
MongoDB client but not beanie's process-wide binding. Writes replace the whole document
conditioned on its version (datetimes stay BSON dates on every server), re-reading and
re-applying the change when someone else wrote in between.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from ff_shared.domain.crm import CrmSync
from ff_shared.domain.records import ApplicationRecord
from ff_shared.stores.mongo.versioned import update_versioned

APPLICATIONS = "applications"
CUSTOMERS = "customers"

T = TypeVar("T")


class CrmSubject(msgspec.Struct, frozen=True, kw_only=True):
    """An application with what the CRM needs of its customer's profile."""

    application: ApplicationRecord
    profile_email: str | None
    customer_erased: bool


def _record(raw: dict[str, Any]) -> ApplicationRecord:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    raw.pop("revision_id", None)
    return msgspec.convert(raw, ApplicationRecord)


def builtins(value: Any) -> Any:
    """A domain Struct as a document value; datetimes stay datetimes (BSON dates)."""
    return msgspec.to_builtins(value, builtin_types=(datetime,))


async def load_application(db: Any, application_id: str) -> ApplicationRecord | None:
    raw = await db[APPLICATIONS].find_one({"_id": application_id})
    return None if raw is None else _record(raw)


async def load_for_crm(db: Any, application_id: str) -> CrmSubject | None:
    application = await load_application(db, application_id)
    if application is None:
        return None
    profile = await db[CUSTOMERS].find_one({"_id": application.customer_id}) or {}
    return CrmSubject(
        application=application,
        profile_email=profile.get("email"),
        customer_erased=profile.get("erased_at") is not None or application.erased_at is not None,
    )


async def record_crm_sync(db: Any, application_id: str, sync: CrmSync) -> None:
    """Store ``sync`` as the application's ``crm`` object (nothing else changes)."""

    def change(document: dict[str, Any]) -> None:
        document["crm"] = builtins(sync)

    await update_versioned(
        db[APPLICATIONS], {"_id": application_id}, change, expected_version=None, what="application"
    )


async def change_application(
    db: Any, application_id: str, change: Callable[[dict[str, Any], ApplicationRecord], T]
) -> tuple[ApplicationRecord, T]:
    """Apply ``change`` to the stored document (it sees the record as read and edits the raw
    document in memory; it may raise to refuse), re-applied if someone wrote in between.
    Returns the record as written and ``change``'s result."""
    results: list[T] = []

    def apply(document: dict[str, Any]) -> None:
        results.append(change(document, _record(document)))

    written = await update_versioned(
        db[APPLICATIONS], {"_id": application_id}, apply, expected_version=None, what="application"
    )
    return _record(written), results[-1]


async def find_by_obv_reference(db: Any, reference: str) -> ApplicationRecord | None:
    raw = await db[APPLICATIONS].find_one({"open_banking.reference": reference})
    return None if raw is None else _record(raw)
