"""Bodies for the loan-book backup operations: backups with their steps, runs, restores, the
loan book in service, and the operator's request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from ff_shared.domain.backups.runs import STEPS, Step
from ff_shared.stores.postgres.lms import (
    BackupRecord,
    ConvertedFile,
    LoanBookPointer,
    RestoreRecord,
    RunRecord,
    RunStepRecord,
    StepRecord,
)


class StepView(msgspec.Struct, kw_only=True):
    step: str
    status: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    size_bytes: int | None
    error: str | None
    detail: dict[str, Any]


class BackupView(msgspec.Struct, kw_only=True):
    id: str
    file_name: str
    size_bytes: int
    taken_at: datetime
    discovered_at: datetime
    sha256: str | None
    published_checksum: str | None
    original_key: str | None
    converted_files: list[ConvertedFile]
    database_version: int | None
    archive_deleted_at: datetime | None
    steps: list[StepView]


class RunStepView(msgspec.Struct, kw_only=True):
    backup_id: str
    step: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    size_bytes: int | None
    error: str | None


class RunView(msgspec.Struct, kw_only=True):
    id: str
    mode: str
    status: str
    trigger: str
    requested_by: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    backup_id: str | None
    step: str | None
    summary: str | None
    error: str | None
    alert_message_id: str | None
    """The SES message id of the alert this run sent operations, if it failed."""
    steps: list[RunStepView]


class RestoreView(msgspec.Struct, kw_only=True):
    database_name: str
    mode: str
    restored_at: datetime
    verified: bool | None
    verified_at: datetime | None
    checks: list[dict[str, str]]
    row_counts: dict[str, int] | None


class BackupDetail(BackupView, kw_only=True):
    history: list[RunStepView]
    restores: list[RestoreView]


class BackupPage(msgspec.Struct, kw_only=True):
    items: list[BackupView]
    next_before: datetime | None


class RunPage(msgspec.Struct, kw_only=True):
    items: list[RunView]
    next_before: datetime | None


class LoanBookView(msgspec.Struct, kw_only=True):
    current_database: str | None
    previous_database: str | None
    switched_at: datetime | None
    switched_by: str | None


class RunRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    """Why the operator asks for this (kept in the audit log)."""


def step_view(record: StepRecord) -> StepView:
    return StepView(
        step=record.step.value,
        status=record.status.value,
        attempts=record.attempts,
        started_at=record.started_at,
        finished_at=record.finished_at,
        duration_ms=record.duration_ms,
        size_bytes=record.size_bytes,
        error=record.error,
        detail=record.detail,
    )


def backup_view(backup: BackupRecord, steps: dict[Step, StepRecord]) -> BackupView:
    return BackupView(
        id=backup.id,
        file_name=backup.file_name,
        size_bytes=backup.size_bytes,
        taken_at=backup.taken_at,
        discovered_at=backup.discovered_at,
        sha256=backup.sha256,
        published_checksum=backup.published_checksum,
        original_key=backup.original_key,
        converted_files=list(backup.converted_files),
        database_version=backup.database_version,
        archive_deleted_at=backup.archive_deleted_at,
        steps=[step_view(steps[s]) for s in STEPS if s in steps],
    )


def run_step_view(record: RunStepRecord) -> RunStepView:
    return RunStepView(
        backup_id=record.backup_id,
        step=record.step.value,
        status=record.status.value,
        started_at=record.started_at,
        finished_at=record.finished_at,
        duration_ms=record.duration_ms,
        size_bytes=record.size_bytes,
        error=record.error,
    )


def run_view(run: RunRecord, steps: list[RunStepRecord]) -> RunView:
    return RunView(
        id=run.id,
        mode=run.mode.value,
        status=run.status.value,
        trigger=run.trigger,
        requested_by=run.requested_by,
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        backup_id=run.backup_id,
        step=run.step.value if run.step else None,
        summary=run.summary,
        error=run.error,
        alert_message_id=run.alert_message_id,
        steps=[run_step_view(s) for s in steps if s.run_id == run.id],
    )


def restore_view(record: RestoreRecord) -> RestoreView:
    return RestoreView(
        database_name=record.database_name,
        mode=record.mode,
        restored_at=record.restored_at,
        verified=record.verified,
        verified_at=record.verified_at,
        checks=[
            {"name": c.name, "outcome": c.outcome.value, "detail": c.detail} for c in record.checks
        ],
        row_counts=record.row_counts,
    )


def loanbook_view(pointer: LoanBookPointer | None) -> LoanBookView:
    if pointer is None:
        return LoanBookView(
            current_database=None, previous_database=None, switched_at=None, switched_by=None
        )
    return LoanBookView(
        current_database=pointer.current_database,
        previous_database=pointer.previous_database,
        switched_at=pointer.switched_at,
        switched_by=pointer.switched_by,
    )
