"""Erasure beyond MongoDB: the CRM contact, the open-banking archive, the tracker's identity
hashes; and the retention register entries for what a loan must keep.

Each step is safe to repeat: the CRM jobs are keyed by the version they follow, an archive
already deleted is not found again, and a hold keeps its first entry.
"""

from __future__ import annotations

from datetime import datetime

from ff_api import jobs
from ff_api.services import Services
from ff_shared.domain.privacy import Retained
from ff_shared.domain.privacy_retention import (
    OPEN_BANKING_REASON,
    Erased,
    HoldKind,
    loan_record_until,
)
from ff_shared.domain.records import ApplicationRecord
from ff_shared.stores.mongo import retention
from ff_shared.stores.postgres.obv import erasure as obv_erasure
from ff_shared.stores.postgres.tracker import erasure as tracker_erasure

CONTACT_COLUMNS = "name, e-mail, mobile, date of birth and address"


async def empty_crm_contact(
    services: Services, customer_id: str, profile_version: int
) -> list[Erased]:
    """Queue the syncs that empty the contact's personal columns and bring each application row
    up to its erased state (no open-banking reference unless it is a loan)."""
    records = await services.applications.all_for_customer(customer_id)
    sent = [r for r in records if r.crm is not None]
    if not sent:
        return []
    await jobs.enqueue_customer_sync(services, customer_id, profile_version)
    for record in sent:
        await jobs.enqueue_crm_sync(services, record.id, record.version)
    return [
        Erased(
            what=f"CRM contact's {CONTACT_COLUMNS} (sync queued: the columns are emptied)",
            where=f"Dynamics 365 contact ff_platformid={customer_id}",
        )
    ]


async def open_banking_and_tracking(
    services: Services,
    records: list[ApplicationRecord],
    loans: dict[str, ApplicationRecord],
    now: datetime,
) -> tuple[list[Erased], list[Retained]]:
    """Delete each application's open-banking archive, or keep a loan's until its date; delete
    the identity hashes the journey tracker saw in the customer's sessions."""
    erased: list[Erased] = []
    retained: list[Retained] = []
    db = services.mongo[services.settings.mongo.database]
    async with services.postgres.acquire() as conn:
        await obv_erasure.prepare(conn)
        for archive in await obv_erasure.archives_of(conn, [r.id for r in records]):
            loan = loans.get(archive.platform_id)
            if loan is None:
                async with conn.transaction():
                    versions = await obv_erasure.delete(conn, archive.application_id)
                erased.append(
                    Erased(
                        what=(
                            f"open-banking archive: {versions} report versions with "
                            f"{archive.transactions} transactions"
                        ),
                        where=f"obv.* rows of archived application {archive.application_id}",
                        count=versions,
                    )
                )
                continue
            until = loan_record_until(loan)
            await obv_erasure.retain(
                conn, archive.application_id, until=until, reason=OPEN_BANKING_REASON
            )
            await retention.hold(
                db,
                kind=HoldKind.OPEN_BANKING,
                ref=archive.application_id,
                until=until,
                reason=OPEN_BANKING_REASON,
                now=now,
            )
            retained.append(
                Retained(
                    what=f"open-banking archive of loan {loan.reference}",
                    where=(
                        f"obv.applications/{archive.application_id} "
                        f"({archive.versions} report versions)"
                    ),
                    fields=("accounts", "balances", "transactions", "analysis", "raw reports"),
                    reason=OPEN_BANKING_REASON,
                    until=until,
                )
            )
        hashes = await tracker_erasure.delete_identities(conn, [r.id for r in records])
    erased.append(
        Erased(
            what="journey tracker identity hashes (e-mail, phone, device, bank account)",
            where="tracker.session_identities",
            count=hashes,
        )
    )
    return erased, retained
