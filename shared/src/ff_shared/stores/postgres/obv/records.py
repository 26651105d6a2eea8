"""The open-banking archive's records: domain Structs and their conversion from rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from ff_shared.domain.obv_archive.reports import QuarantineReason
from ff_shared.domain.open_banking import OpenBankingReport

SCHEMA = "obv"

Outcome = Literal["archived", "unchanged", "quarantined", "failed"]
RunStatus = Literal["running", "succeeded", "completed_with_failures", "failed", "abandoned"]
Trigger = Literal["schedule", "command"]


class SeenApplication(msgspec.Struct, frozen=True, kw_only=True):
    """An application as discovery found it in Dynamics."""

    application_id: str
    obv_reference: str
    modified_on: datetime
    platform_id: str | None = None
    application_reference: str | None = None


class ArchivedApplication(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    obv_reference: str
    dynamics_modified_on: datetime
    pending: bool
    platform_id: str | None = None
    application_reference: str | None = None
    archived_modified_on: datetime | None = None
    current_version: int | None = None
    last_outcome: Outcome | None = None
    last_error: str | None = None
    attempts: int = 0


class CurrentVersion(msgspec.Struct, frozen=True, kw_only=True):
    version_id: int
    version: int
    payload_sha256: str


class StoredVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A stored version with its payload and the counts recorded when it was archived."""

    version_id: int
    application_id: str
    version: int
    obv_reference: str
    payload_sha256: str
    payload: bytes
    account_count: int
    balance_count: int
    transaction_count: int
    archived_at: datetime
    is_current: bool


class QuarantineEntry(msgspec.Struct, frozen=True, kw_only=True):
    quarantine_id: int
    application_id: str
    obv_reference: str
    payload_sha256: str
    payload: bytes
    reasons: list[QuarantineReason]
    seen_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None = None
    resolved_by_version_id: int | None = None


class RunCounts(msgspec.Struct, kw_only=True):
    discovered: int = 0
    found: int = 0
    archived: int = 0
    unchanged: int = 0
    quarantined: int = 0
    failed: int = 0
    skipped: int = 0
    transactions_archived: int = 0


class RunRecord(msgspec.Struct, frozen=True, kw_only=True):
    run_id: UUID
    trigger: Trigger
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    since: datetime | None
    reference: str | None
    watermark_before: datetime | None
    watermark_after: datetime | None
    counts: RunCounts
    error: str | None


class VersionToStore(msgspec.Struct, frozen=True, kw_only=True):
    """A validated report and what it is archived with."""

    report: OpenBankingReport
    payload: bytes
    """The canonical JSON the provider sent."""
    payload_sha256: str
    provider_summary: dict[str, Any]
    """The provider's analysis section exactly as sent (JSON builtins)."""
    first_available_at: datetime | None = None
    last_available_at: datetime | None = None


class CurrentVersionProblem(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    current_version: int | None
    newest_version: int | None


def struct_from_row(cls: type[Any], row: asyncpg.Record) -> Any:
    return msgspec.convert(dict(row.items()), cls, from_attributes=False)
