"""The lms catalogue's records: domain Structs and their conversion from rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from ff_shared.domain.backups.checks import CheckResult
from ff_shared.domain.backups.runs import RunMode, RunStatus, Step, StepStatus


class ConvertedFile(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    size_bytes: int
    sha256: str
    key: str | None = None


class BackupRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    file_name: str
    remote_path: str
    size_bytes: int
    remote_modified_at: datetime
    taken_at: datetime
    discovered_at: datetime
    sha256: str | None = None
    published_checksum: str | None = None
    original_key: str | None = None
    converted_files: tuple[ConvertedFile, ...] = ()
    database_version: int | None = None
    archive_deleted_at: datetime | None = None


class StepRecord(msgspec.Struct, frozen=True, kw_only=True):
    backup_id: str
    step: Step
    status: StepStatus
    attempts: int
    run_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    size_bytes: int | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)
    error: str | None = None


class RunRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    mode: RunMode
    status: RunStatus
    trigger: str
    requested_at: datetime
    requested_by: str | None = None
    requested_role: str | None = None
    request_id: str | None = None
    backup_id: str | None = None
    step: Step | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: str | None = None
    error: str | None = None
    alert_message_id: str | None = None


class RunStepRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    run_id: str
    backup_id: str
    step: Step
    status: StepStatus
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int | None = None
    size_bytes: int | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)
    error: str | None = None


class RestoreRecord(msgspec.Struct, frozen=True, kw_only=True):
    database_name: str
    backup_id: str
    run_id: str | None
    mode: str
    restored_at: datetime
    verified_at: datetime | None = None
    verified: bool | None = None
    checks: tuple[CheckResult, ...] = ()
    row_counts: dict[str, int] | None = None


class LoanBookPointer(msgspec.Struct, frozen=True, kw_only=True):
    current_database: str
    previous_database: str | None
    switched_at: datetime
    switched_by: str
    run_id: str | None = None


class ArchivedObject(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    backup_id: str
    kind: str
    size_bytes: int
    sha256: str
    archived_at: datetime
    deleted_at: datetime | None = None


class OpsAction(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    action: str
    actor: str
    roles: str
    at: datetime
    request_id: str | None = None
    target: str | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)


def dump_json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def load_json(value: Any) -> Any:
    if value is None:
        return None
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def backup_from_row(row: asyncpg.Record) -> BackupRecord:
    data = dict(row)
    data["converted_files"] = msgspec.convert(
        load_json(data["converted_files"]) or [], tuple[ConvertedFile, ...]
    )
    return msgspec.convert(data, BackupRecord)


def step_from_row(row: asyncpg.Record) -> StepRecord:
    data = dict(row)
    data["detail"] = load_json(data["detail"]) or {}
    return msgspec.convert(data, StepRecord)


def run_step_from_row(row: asyncpg.Record) -> RunStepRecord:
    data = dict(row)
    data["detail"] = load_json(data["detail"]) or {}
    return msgspec.convert(data, RunStepRecord)


def restore_from_row(row: asyncpg.Record) -> RestoreRecord:
    data = dict(row)
    data["checks"] = load_json(data["checks"]) or []
    data["row_counts"] = load_json(data["row_counts"])
    return msgspec.convert(data, RestoreRecord)
