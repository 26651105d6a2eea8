"""What a subject-access export reads beyond MongoDB: the loan book (loans and their
transactions), the open-banking archive, the CRM contact as the CRM holds it (read through the
Dynamics client), document links, and the decisions with their reasons."""

from __future__ import annotations

from typing import Any

import msgspec

from ff_api.loans import service as loans
from ff_api.services import Services
from ff_shared.domain.documents import DocumentRecord, DocumentStatus
from ff_shared.domain.records import ApplicationRecord
from ff_shared.errors import DependencyUnavailable
from ff_shared.integrations.aws import s3
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.errors import IntegrationError
from ff_shared.stores.loanbook import queries
from ff_shared.stores.postgres.obv import erasure as obv_erasure

LINK_SECONDS = 7 * 24 * 3600
"""How long the export's document links work (S3's longest presigned lifetime)."""
TRANSACTIONS_PAGE = 500


async def loans_with_transactions(services: Services, customer_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with loans.loanbook(services) as conn:
        for loan in await queries.list_customer_loans(conn, customer_id):
            transactions: list[Any] = []
            while True:
                page = await queries.list_transactions(
                    conn, loan.agreement_number, offset=len(transactions), limit=TRANSACTIONS_PAGE
                )
                transactions.extend(page.items)
                if not page.items or len(transactions) >= page.total:
                    break
            found.append(
                {
                    "loan": msgspec.to_builtins(loan),
                    "transactions": msgspec.to_builtins(transactions),
                }
            )
    return found


async def open_banking_archive(
    services: Services, records: list[ApplicationRecord]
) -> list[dict[str, Any]]:
    async with services.postgres.acquire() as conn:
        await obv_erasure.prepare(conn)
        archive = await obv_erasure.export_of(conn, [r.id for r in records])
    exported: list[dict[str, Any]] = msgspec.to_builtins(archive)
    return exported


async def crm_contact(services: Services, customer_id: str) -> dict[str, Any] | None:
    """The contact exactly as Dynamics holds it now (None: never sent to the CRM)."""
    client = DynamicsClient(services.http, services.settings.dynamics)
    try:
        contact = await client.get_contact(customer_id)
    except IntegrationError as exc:
        raise DependencyUnavailable("the CRM (Dynamics 365) is unavailable") from exc
    return None if contact is None else msgspec.to_builtins(contact)


async def document_links(
    services: Services, documents: list[DocumentRecord]
) -> list[dict[str, Any]]:
    bucket = services.settings.documents.bucket
    links = []
    for document in documents:
        url = None
        if document.status is DocumentStatus.AVAILABLE:
            url = await s3.presigned_get(
                services.s3,
                bucket=bucket,
                key=document.object_key,
                expires_seconds=LINK_SECONDS,
                content_type=document.content_type,
            )
        links.append(
            {
                "id": document.id,
                "kind": document.kind.value,
                "status": document.status.value,
                "url": url,
            }
        )
    return links


def decisions(records: list[ApplicationRecord]) -> list[dict[str, Any]]:
    """Each application's decision: outcome, reasons, rule-set version, and any staff decline
    with its reason."""
    found = []
    for record in records:
        decision = record.decision or {}
        decline = record.decline
        found.append(
            {
                "application_id": record.id,
                "reference": record.reference,
                "status": record.status.value,
                "outcome": decision.get("outcome"),
                "reasons": decision.get("reasons") or [],
                "rule_set_version": decision.get("rule_set_version"),
                "decision_version": record.decision_version,
                "decided_at": record.decided_at,
                "staff_decline": None if decline is None else msgspec.to_builtins(decline),
            }
        )
    return found
