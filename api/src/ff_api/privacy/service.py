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
from ff_api.privacy import erasure, sources
from ff_api.privacy.schemas import ErasureReport
from ff_api.schemas import note_view
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain import privacy
from ff_shared.domain.audit import Target
from ff_shared.domain.documents import DocumentStatus
from ff_shared.domain.privacy import Retained
from ff_shared.domain.privacy_retention import (
    Erased,
    HoldKind,
    document_until,
    loan_record_until,
)
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus, CustomerProfile
from ff_shared.errors import StaleVersion
from ff_shared.integrations.aws import s3
from ff_shared.integrations.aws.session import client_options
from ff_shared.stores.mongo import (
    audit,
    customers,
    data_keys,
    email_log,
    notes,
    retention,
    uploads,
)

log = structlog.get_logger()

EXPORT_FORMAT = "fairfinance.subject-access/1"


async def export(services: Services, staff: StaffPrincipal, customer_id: str) -> dict[str, Any]:
    profile = await customers.get_profile(customer_id)
    records = await services.applications.all_for_customer(customer_id)
    documents = await uploads.for_customer(customer_id)
    file_notes = await notes.for_customer(customer_id)
    trail = await audit.query(customer_id=customer_id, limit=100_000, oldest_first=True)
    emails = [e for r in records for e in await email_log.for_application(r.id)]
    loans = await sources.loans_with_transactions(services, customer_id)
    archive = await sources.open_banking_archive(services, records)
    now = now_utc()
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": now,
        "customer_id": customer_id,
        "profile": msgspec.to_builtins(profile),
        "applications": [msgspec.to_builtins(r) for r in records],
        "decisions": sources.decisions(records),
        "loans": loans,
        "open_banking": archive,
        "crm_contact": await sources.crm_contact(services, customer_id),
        "documents": [msgspec.to_builtins(document_view(d)) for d in documents],
        "document_links": await sources.document_links(services, documents),
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
            "loans": len(loans),
            "open_banking_archives": len(archive),
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
    services: Services, application_id: str, now: datetime
) -> privacy.ErasedApplication:
    """Withdraw it if it is still open, then anonymise it, over the version read; a write in
    between is read again."""
    attempts = 3
    while True:
        current = await services.applications.get(application_id)
        erased = privacy.erase_record(current, now=now)
        try:
            await services.applications.save(erased.application, expected_version=current.version)
        except StaleVersion:
            attempts -= 1
            if attempts == 0:
                raise
            continue
        return erased


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


async def _documents(
    services: Services, customer_id: str, loans: dict[str, ApplicationRecord], now: datetime
) -> tuple[int, list[Retained]]:
    """Delete the customer's documents from S3, except those evidencing a loan, kept until
    their date (entered in the retention register)."""
    deleted = 0
    retained: list[Retained] = []
    bucket = services.settings.documents.bucket
    db = services.mongo[services.settings.mongo.database]
    for document in await uploads.for_customer(customer_id):
        loan = loans.get(document.application_id or "")
        if loan is not None and document.status is DocumentStatus.AVAILABLE:
            until = document_until(loan)
            await retention.hold(
                db,
                kind=HoldKind.DOCUMENT,
                ref=document.id,
                until=until,
                reason=privacy.DOCUMENT_REASON,
                now=now,
            )
            retained.append(
                Retained(
                    what=f"document {document.id} ({document.kind.value})",
                    where=f"s3://{bucket}/{document.object_key}",
                    fields=("file", "kind", "size_bytes"),
                    reason=privacy.DOCUMENT_REASON,
                    until=until,
                )
            )
            continue
        if document.status is DocumentStatus.ERASED:
            continue
        await s3.delete(services.s3, bucket=bucket, key=document.object_key)
        await uploads.replace(document, {"status": DocumentStatus.ERASED.value, "updated_at": now})
        deleted += 1
    return deleted, retained


async def _applications(
    services: Services, customer_id: str, now: datetime
) -> tuple[list[ApplicationRecord], dict[str, ApplicationRecord], int, list[Retained]]:
    """Withdraw and anonymise every application; a loan's record is kept until its date."""
    records = await services.applications.all_for_customer(customer_id)
    loans = {r.id: r for r in records if r.status is ApplicationStatus.ACCEPTED}
    db = services.mongo[services.settings.mongo.database]
    retained: list[Retained] = []
    withdrawn = 0
    for record in records:
        erased = await _erase_application(services, record.id, now)
        withdrawn += erased.withdrawn
        for kept in erased.retained:
            loan = loans[record.id]
            until = loan_record_until(loan)
            await retention.hold(
                db,
                kind=HoldKind.LOAN_RECORD,
                ref=record.id,
                until=until,
                reason=kept.reason,
                now=now,
            )
            retained.append(msgspec.structs.replace(kept, until=until))
    return records, loans, withdrawn, retained


async def erase(
    services: Services, staff: StaffPrincipal, customer_id: str, version: int
) -> ErasureReport:
    now = now_utc()
    profile = await _erase_profile(customer_id, version, now)
    erased_at = profile.erased_at or now
    records, loans, withdrawn, retained = await _applications(services, customer_id, now)
    deleted, kept_documents = await _documents(services, customer_id, loans, now)
    retained.extend(kept_documents)
    erased_notes = await notes.erase_for_customer(customer_id, now=now)
    key_destroyed = await data_keys.destroy_key(customer_id)
    identity_deleted = await _delete_identity(services, customer_id)
    beyond, kept_evidence = await erasure.open_banking_and_tracking(services, records, loans, now)
    retained.extend(kept_evidence)
    crm = await erasure.empty_crm_contact(services, customer_id, profile.version)
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
        applications_anonymised=len(records),
        applications_withdrawn=withdrawn,
        documents_deleted=deleted,
        notes_erased=erased_notes,
        identity_deleted=identity_deleted,
        audit_key_destroyed=key_destroyed,
        erased=[
            *_erased_in_platform(
                len(records), deleted, erased_notes, identity_deleted, key_destroyed
            ),
            *beyond,
            *crm,
        ],
        retained=retained,
    )
    await auditing.record_staff(
        staff,
        "customer.erased",
        Target(type="customer", id=customer_id),
        now=now,
        customer_id=customer_id,
        after={
            "applications_anonymised": len(records),
            "applications_withdrawn": withdrawn,
            "documents_deleted": deleted,
            "notes_erased": erased_notes,
            "erased": [e.where for e in report.erased],
            "retained": [r.what for r in retained],
        },
        seal=False,
    )
    log.info("customer_erased", customer_id=customer_id, retained=len(retained))
    return report


def _erased_in_platform(
    applications: int, documents: int, notes_erased: int, login: bool, key: bool
) -> list[Erased]:
    found = [
        Erased(what="profile contact details and settings", where="customers"),
        Erased(
            what="personal and free-text fields of applications",
            where="applications",
            count=applications,
        ),
        Erased(what="documents", where="S3 documents bucket", count=documents),
        Erased(what="staff notes' text", where="notes", count=notes_erased),
    ]
    if login:
        found.append(Erased(what="customer login", where="Cognito customer user pool"))
    if key:
        found.append(
            Erased(
                what="the key sealing audit values about the customer (KMS-wrapped)",
                where="data_keys",
            )
        )
    return found
