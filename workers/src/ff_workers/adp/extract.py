"""What a run reads: each source's changes since its watermark, merged into the rows the published
run held, and the sources' own counts the checks compare against."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar

import aioodbc
import msgspec
import pyarrow as pa

from ff_shared.adp.lake import Lake, Manifest, TableLocation, decode_rows, encode_rows, merge_rows
from ff_shared.adp.sources import (
    AgreementRow,
    ApplicationRow,
    CrmRow,
    InstalmentRow,
    JourneyRow,
    LoanBookTotals,
    TransactionRow,
)
from ff_shared.adp.transform import Inputs
from ff_shared.clock import now_utc
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.odata import Query, literal
from ff_shared.integrations.dynamics.schemas import LOAN_APPLICATIONS, LoanApplication
from ff_shared.stores.loanbook import adp as loanbook_store
from ff_shared.stores.loanbook.connection import acquire
from ff_shared.stores.mongo import adp as mongo_store

R = TypeVar("R", bound=msgspec.Struct)

APPLICATIONS = "mongo.applications"
CRM = "dynamics.ff_loanapplications"
AGREEMENTS = "loanbook.agreements"
INSTALMENTS = "loanbook.instalments"
TRANSACTIONS = "loanbook.transactions"
JOURNEYS = "tracker.sessions"


def _key_application(r: ApplicationRow) -> str:
    return r.application_id


def _key_crm(r: CrmRow) -> str:
    return r.crm_id


def _key_agreement(r: AgreementRow) -> str:
    return r.agreement_number


def _key_instalment(r: InstalmentRow) -> str:
    return f"{r.agreement_number}:{r.number:04d}"


def _key_transaction(r: TransactionRow) -> str:
    return f"{r.transaction_id:020d}"


async def _held(lake: Lake, manifest: Manifest | None, source: str, row_type: type[R]) -> list[R]:
    if manifest is None or source not in manifest.held:
        return []
    table = await asyncio.to_thread(lake.read_held, manifest.held[source])
    return decode_rows(table, row_type)


async def _crm_since(dynamics: DynamicsClient, watermark: datetime | None) -> list[CrmRow]:
    query = Query(
        select=(
            "ff_loanapplicationid",
            "ff_platformid",
            "ff_applicationstatus",
            "ff_decisionoutcome",
            "modifiedon",
        ),
        filter=None if watermark is None else f"modifiedon ge {literal(watermark)}",
        orderby="modifiedon asc,ff_loanapplicationid asc",
    )
    return [
        CrmRow(
            crm_id=row.ff_loanapplicationid,
            application_id=row.ff_platformid,
            status=row.ff_applicationstatus,
            decision_outcome=row.ff_decisionoutcome,
            modified_at=row.modifiedon or now_utc(),
        )
        async for row in dynamics.rows(LOAN_APPLICATIONS, LoanApplication, query)
    ]


async def _crm_count(dynamics: DynamicsClient) -> int:
    query = Query(select=("ff_loanapplicationid",), count=True)
    async for page in dynamics.pages(LOAN_APPLICATIONS, LoanApplication, query, page_size=1):
        return page.count or 0
    return 0


def _newest(previous: datetime | None, times: list[datetime]) -> datetime | None:
    candidates = [t for t in [previous, *times] if t is not None]
    return max(candidates) if candidates else None


class SourceRows(msgspec.Struct, frozen=True, kw_only=True):
    """A row list per source: the changes a run read, or every row it holds after merging."""

    applications: list[ApplicationRow]
    crm: list[CrmRow]
    agreements: list[AgreementRow]
    instalments: list[InstalmentRow]
    transactions: list[TransactionRow]

    def counts(self) -> dict[str, int]:
        return {
            APPLICATIONS: len(self.applications),
            CRM: len(self.crm),
            AGREEMENTS: len(self.agreements),
            INSTALMENTS: len(self.instalments),
            TRANSACTIONS: len(self.transactions),
        }

    def watermarks(self, marks: Mapping[str, datetime]) -> dict[str, datetime]:
        """Of changes: the newest change each source has now been read up to."""
        newest = {
            APPLICATIONS: _newest(
                marks.get(APPLICATIONS), [a.updated_at for a in self.applications]
            ),
            CRM: _newest(marks.get(CRM), [c.modified_at for c in self.crm]),
            AGREEMENTS: _newest(marks.get(AGREEMENTS), [a.updated_at for a in self.agreements]),
            TRANSACTIONS: _newest(
                marks.get(TRANSACTIONS), [t.created_at for t in self.transactions]
            ),
        }
        return {k: v for k, v in newest.items() if v is not None}

    def inputs(self, journeys: list[JourneyRow]) -> Inputs:
        return Inputs(
            applications=self.applications,
            crm=self.crm,
            journeys=journeys,
            agreements=self.agreements,
            instalments=self.instalments,
            transactions=self.transactions,
        )

    def encoded(self) -> dict[str, pa.Table]:
        return {
            APPLICATIONS: encode_rows(self.applications, _key_application),
            CRM: encode_rows(self.crm, _key_crm),
            AGREEMENTS: encode_rows(self.agreements, _key_agreement),
            INSTALMENTS: encode_rows(self.instalments, _key_instalment),
            TRANSACTIONS: encode_rows(self.transactions, _key_transaction),
        }


async def extract_changes(
    dynamics: DynamicsClient,
    loanbook: aioodbc.Pool,
    marks: Mapping[str, datetime],
    salt: str,
) -> SourceRows:
    applications = await mongo_store.applications_since(marks.get(APPLICATIONS), salt=salt)
    crm = await _crm_since(dynamics, marks.get(CRM))
    async with acquire(loanbook) as conn:
        agreements = await loanbook_store.agreements_since(conn, marks.get(AGREEMENTS), salt=salt)
        instalments = await loanbook_store.instalments_since(conn, marks.get(AGREEMENTS))
        transactions = await loanbook_store.transactions_since(conn, marks.get(TRANSACTIONS))
    return SourceRows(
        applications=applications,
        crm=crm,
        agreements=agreements,
        instalments=instalments,
        transactions=transactions,
    )


async def merge_held(lake: Lake, manifest: Manifest | None, changes: SourceRows) -> SourceRows:
    return SourceRows(
        applications=merge_rows(
            await _held(lake, manifest, APPLICATIONS, ApplicationRow),
            changes.applications,
            _key_application,
        ),
        crm=merge_rows(await _held(lake, manifest, CRM, CrmRow), changes.crm, _key_crm),
        agreements=merge_rows(
            await _held(lake, manifest, AGREEMENTS, AgreementRow),
            changes.agreements,
            _key_agreement,
        ),
        instalments=merge_rows(
            await _held(lake, manifest, INSTALMENTS, InstalmentRow),
            changes.instalments,
            _key_instalment,
        ),
        transactions=merge_rows(
            await _held(lake, manifest, TRANSACTIONS, TransactionRow),
            changes.transactions,
            _key_transaction,
        ),
    )


async def source_counts(
    dynamics: DynamicsClient, loanbook: aioodbc.Pool
) -> tuple[LoanBookTotals, dict[str, int]]:
    """The loan book's totals, and how many rows each source holds in all."""
    async with acquire(loanbook) as conn:
        totals = await loanbook_store.totals(conn)
    return totals, {
        APPLICATIONS: await mongo_store.count_applications(),
        CRM: await _crm_count(dynamics),
        AGREEMENTS: totals.agreements,
        INSTALMENTS: totals.instalments,
        TRANSACTIONS: totals.transactions,
    }


def write_held(lake: Lake, run_id: str, held: SourceRows) -> dict[str, TableLocation]:
    return {
        source: lake.write_held(run_id, source, table) for source, table in held.encoded().items()
    }
