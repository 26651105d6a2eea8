"""Data-protection requests: subject access (export everything held about a customer as one JSON
document) and erasure (anonymise everywhere, keeping only what a regulated loan record needs).

Erasure is safe to repeat: each step checks what is already done, so a run interrupted by a
failing dependency is finished by asking again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import structlog

from ff_api.audit import service as auditing
from ff_api.audit.schemas import audit_view
from ff_api.documents.schemas import document_view
from ff_api.privacy.schemas import ErasureReport
from ff_api.schemas import note_view
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain import lifecycle, privacy
from ff_shared.domain.audit import Target
from ff_shared.domain.documents import DocumentStatus
from ff_shared.domain.lifecycle import Action
from ff_shared.domain.privacy import Retained
from ff_shared.domain.records import ApplicationRecord, CustomerProfile
from ff_shared.errors import StaleVersion
from ff_shared.integrations.aws import s3
from ff_shared.integrations.aws.session import client_options
from ff_shared.stores.mongo import audit, customers, data_keys, email_log, notes, review, uploads

log = structlog.get_logger()

EXPORT_FORMAT = "fairfinance.subject-access/1"


async def export(services: Services, staff: StaffPrincipal, customer_id: str) -> dict[str, Any]:
    profile = await customers.get_profile(customer_id)
    records = await review.for_customer(customer_id)
    documents = await uploads.for_customer(customer_id)
    file_notes = await notes.for_customer(customer_id)
    trail = await audit.query(customer_id=customer_id, limit=100_000, oldest_first=True)
    emails = [e for r in records for e in await email_log.for_application(r.id)]
    now = now_utc()
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": now,
        "customer_id": customer_id,
        "profile": msgspec.to_builtins(profile),
        "applications": [msgspec.to_builtins(r) for r in records],
        "documents": [msgspec.to_builtins(document_view(d)) for d in documents],
        "notes": [msgspec.to_builtins(note_view(n)) for n in file_notes],
        "audit": [msgspec.to_builtins(audit_view(e)) for e in trail],
        "emails": [msgspec.to_builtins(e) for e in emails],
    }
    await auditing.record_staff(
        staff,
        "customer.exported",
        Target(type="customer", id=customer_id),
        now=now,
        customer_id=customer_id,
        after={
            "applications": len(records),
            "documents": len(documents),
            "notes": len(file_notes),
            "audit_entries": len(trail),
            "emails": len(emails),
        },
        seal=False,
    )
    log.info("customer_exported", customer_id=customer_id)
    exported: dict[str, Any] = msgspec.to_builtins(document)
    return exported


async def _erase_profile(customer_id: str, version: int, now: datetime) -> CustomerProfile:
    current = await customers.get_profile(customer_id)
    if current.erased_at is not None:
        return current
    return await customers.update_profile(
        customer_id, expected_version=version, changes=privacy.profile_erasure(now=now), now=now
    )


async def _erase_application(
    record: ApplicationRecord, now: datetime
) -> tuple[bool, list[Retained]]:
    """Withdraw it if it is still open, then anonymise it; returns (withdrawn, retained)."""
    withdrawn = False
    kept: list[Retained] = []

    def change(raw: dict[str, Any], current: ApplicationRecord) -> None:
        nonlocal withdrawn, kept
        withdrawn = Action.WITHDRAW in lifecycle.TRANSITIONS[current.status]
        if withdrawn:
            raw["status"] = lifecycle.next_status(current.status, Action.WITHDRAW).value
        erased, kept = privacy.erase_application(raw, now=now)
        raw.clear()
        raw.update(erased)

    for attempt in range(3):
        try:
            await review.change_application(record.id, change, expected_version=None)
            break
        except StaleVersion:
            if attempt == 2:
                raise
    return withdrawn, kept


async def _delete_identity(services: Services, customer_id: str) -> bool:
    settings = services.settings
    async with services.aws.client("cognito-idp", **client_options(settings.aws)) as cognito:
        found = await cognito.list_users(
            UserPoolId=settings.cognito.customer_pool_id,
            Filter=f'sub = "{customer_id.replace(chr(34), "")}"',
            Limit=1,
        )
        users = found.get("Users") or []
        for user in users:
            await cognito.admin_delete_user(
                UserPoolId=settings.cognito.customer_pool_id, Username=user["Username"]
            )
    return bool(users)


async def erase(
    services: Services, staff: StaffPrincipal, customer_id: str, version: int
) -> ErasureReport:
    now = now_utc()
    profile = await _erase_profile(customer_id, version, now)
    erased_at = profile.erased_at or now
    retained: list[Retained] = []
    withdrawn = anonymised = 0
    loans: set[str] = set()
    for record in await review.for_customer(customer_id):
        was_withdrawn, kept = await _erase_application(record, now)
        withdrawn += was_withdrawn
        anonymised += 1
        retained.extend(kept)
        if privacy.is_loan(msgspec.to_builtins(record)):
            loans.add(record.id)
    deleted = 0
    bucket = services.settings.documents.bucket
    for document in await uploads.for_customer(customer_id):
        if document.application_id in loans and document.status is DocumentStatus.AVAILABLE:
            retained.append(
                Retained(
                    what=f"document {document.id} ({document.kind.value})",
                    where=f"s3://{bucket}/{document.object_key}",
                    fields=("file", "kind", "size_bytes"),
                    reason=privacy.DOCUMENT_REASON,
                )
            )
            continue
        if document.status is DocumentStatus.ERASED:
            continue
        await s3.delete(services.s3, bucket=bucket, key=document.object_key)
        await uploads.replace(document, {"status": DocumentStatus.ERASED.value, "updated_at": now})
        deleted += 1
    erased_notes = await notes.erase_for_customer(customer_id, now=now)
    key_destroyed = await data_keys.destroy_key(customer_id)
    identity_deleted = await _delete_identity(services, customer_id)
    if await audit.query(customer_id=customer_id, limit=1):
        retained.append(
            Retained(
                what="audit trail entries about the customer",
                where="audit_events",
                fields=("actor", "action", "target", "at"),
                reason=privacy.AUDIT_REASON,
            )
        )
    report = ErasureReport(
        customer_id=customer_id,
        erased_at=erased_at,
        applications_anonymised=anonymised,
        applications_withdrawn=withdrawn,
        documents_deleted=deleted,
        notes_erased=erased_notes,
        identity_deleted=identity_deleted,
        audit_key_destroyed=key_destroyed,
        retained=retained,
    )
    await auditing.record_staff(
        staff,
        "customer.erased",
        Target(type="customer", id=customer_id),
        now=now,
        customer_id=customer_id,
        after={
            "applications_anonymised": anonymised,
            "applications_withdrawn": withdrawn,
            "documents_deleted": deleted,
            "notes_erased": erased_notes,
            "retained": [r.what for r in retained],
        },
        seal=False,
    )
    log.info("customer_erased", customer_id=customer_id, retained=len(retained))
    return report
