"""lms-restorer's catalogue in PostgreSQL (schema ``lms``): backups, their steps, runs, restores,
archived objects, operations actions, and the pointer to the loan book the portals read.

The loan-book pointer is what the API reads to know which restored database is in service;
switching it is one row update plus a history row, so a rollback is the same operation backwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from ff_shared.domain.backups import (
    ArchivedBackup,
    CheckResult,
    RunMode,
    RunStatus,
    Step,
    StepStatus,
    check_transition,
)
from ff_shared.errors import Conflict, IllegalTransition, NotFound
from ff_shared.stores.postgres.migrations import apply_migrations

SCHEMA = "lms"


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


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _load(value: Any) -> Any:
    if value is None:
        return None
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def _backup(row: asyncpg.Record) -> BackupRecord:
    data = dict(row)
    data["converted_files"] = msgspec.convert(
        _load(data["converted_files"]) or [], tuple[ConvertedFile, ...]
    )
    return msgspec.convert(data, BackupRecord)


def _step(row: asyncpg.Record) -> StepRecord:
    data = dict(row)
    data["detail"] = _load(data["detail"]) or {}
    return msgspec.convert(data, StepRecord)


def _run_step(row: asyncpg.Record) -> RunStepRecord:
    data = dict(row)
    data["detail"] = _load(data["detail"]) or {}
    return msgspec.convert(data, RunStepRecord)


def _restore(row: asyncpg.Record) -> RestoreRecord:
    data = dict(row)
    data["checks"] = _load(data["checks"]) or []
    data["row_counts"] = _load(data["row_counts"])
    return msgspec.convert(data, RestoreRecord)


async def migrate(conn: asyncpg.Connection) -> list[str]:
    return await apply_migrations(conn, SCHEMA)


# Backups


async def get_backup(conn: asyncpg.Connection, backup_id: str) -> BackupRecord:
    row = await conn.fetchrow("select * from lms.backups where id = $1", backup_id)
    if row is None:
        raise NotFound(f"no backup {backup_id}")
    return _backup(row)


async def find_backup(conn: asyncpg.Connection, file_name: str) -> BackupRecord | None:
    row = await conn.fetchrow("select * from lms.backups where file_name = $1", file_name)
    return None if row is None else _backup(row)


async def known_file_names(conn: asyncpg.Connection) -> set[str]:
    return {r["file_name"] for r in await conn.fetch("select file_name from lms.backups")}


async def add_backup(
    conn: asyncpg.Connection,
    *,
    file_name: str,
    remote_path: str,
    size_bytes: int,
    remote_modified_at: datetime,
    taken_at: datetime,
    now: datetime,
) -> BackupRecord:
    """Catalogue a newly seen backup with every step pending (a second call returns the first)."""
    backup_id = str(uuid.uuid4())
    row = await conn.fetchrow(
        """
        insert into lms.backups
            (id, file_name, remote_path, size_bytes, remote_modified_at, taken_at, discovered_at)
        values ($1, $2, $3, $4, $5, $6, $7)
        on conflict (file_name) do nothing
        returning *
        """,
        backup_id,
        file_name,
        remote_path,
        size_bytes,
        remote_modified_at,
        taken_at,
        now,
    )
    if row is None:
        existing = await find_backup(conn, file_name)
        assert existing is not None
        return existing
    await conn.executemany(
        "insert into lms.backup_steps (backup_id, step, status) values ($1, $2, 'pending')",
        [(backup_id, step.value) for step in Step],
    )
    return _backup(row)


async def list_backups(
    conn: asyncpg.Connection, *, limit: int, before: datetime | None = None
) -> list[BackupRecord]:
    rows = await conn.fetch(
        """
        select * from lms.backups
        where $1::timestamptz is null or taken_at < $1
        order by taken_at desc, id desc
        limit $2
        """,
        before,
        limit,
    )
    return [_backup(r) for r in rows]


async def unfinished_backups(conn: asyncpg.Connection) -> list[BackupRecord]:
    """Backups with a step not yet succeeded (oldest first), whose archive is not deleted."""
    rows = await conn.fetch(
        """
        select b.* from lms.backups b
        where b.archive_deleted_at is null
          and exists (
            select 1 from lms.backup_steps s
            where s.backup_id = b.id and s.status in ('pending', 'running', 'failed',
                                                      'not_configured'))
        order by b.taken_at, b.id
        """
    )
    return [_backup(r) for r in rows]


async def set_fetched(
    conn: asyncpg.Connection, backup_id: str, *, sha256: str, published_checksum: str | None
) -> None:
    await conn.execute(
        "update lms.backups set sha256 = $2, published_checksum = $3 where id = $1",
        backup_id,
        sha256,
        published_checksum,
    )


async def set_original_key(conn: asyncpg.Connection, backup_id: str, key: str) -> None:
    await conn.execute("update lms.backups set original_key = $2 where id = $1", backup_id, key)


async def set_converted(
    conn: asyncpg.Connection,
    backup_id: str,
    *,
    files: Sequence[ConvertedFile],
    database_version: int | None,
) -> None:
    await conn.execute(
        "update lms.backups set converted_files = $2::jsonb, database_version = $3 where id = $1",
        backup_id,
        _json(list(files)),
        database_version,
    )


# Steps


async def get_steps(conn: asyncpg.Connection, backup_id: str) -> dict[Step, StepRecord]:
    rows = await conn.fetch("select * from lms.backup_steps where backup_id = $1", backup_id)
    return {Step(r["step"]): _step(r) for r in rows}


async def steps_of(
    conn: asyncpg.Connection, backup_ids: Sequence[str]
) -> dict[str, dict[Step, StepRecord]]:
    rows = await conn.fetch(
        "select * from lms.backup_steps where backup_id = any($1::text[])", list(backup_ids)
    )
    out: dict[str, dict[Step, StepRecord]] = {b: {} for b in backup_ids}
    for r in rows:
        out[r["backup_id"]][Step(r["step"])] = _step(r)
    return out


async def start_step(
    conn: asyncpg.Connection, backup_id: str, step: Step, *, run_id: str, now: datetime
) -> int:
    """Mark ``step`` running for ``run_id``; return the run-step history row's id."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "select status from lms.backup_steps where backup_id = $1 and step = $2 for update",
            backup_id,
            step.value,
        )
        if row is None:
            raise NotFound(f"backup {backup_id} has no step {step}")
        check_transition(step, StepStatus(row["status"]), StepStatus.RUNNING)
        await conn.execute(
            """
            update lms.backup_steps
            set status = 'running', attempts = attempts + 1, run_id = $3, started_at = $4,
                finished_at = null, duration_ms = null, error = null
            where backup_id = $1 and step = $2
            """,
            backup_id,
            step.value,
            run_id,
            now,
        )
        run_step_id: int = await conn.fetchval(
            """
            insert into lms.run_steps (run_id, backup_id, step, status, started_at)
            values ($1, $2, $3, 'running', $4) returning id
            """,
            run_id,
            backup_id,
            step.value,
            now,
        )
    return run_step_id


async def finish_step(
    conn: asyncpg.Connection,
    backup_id: str,
    step: Step,
    *,
    run_step_id: int,
    status: StepStatus,
    now: datetime,
    detail: dict[str, Any] | None = None,
    error: str | None = None,
    size_bytes: int | None = None,
) -> None:
    async with conn.transaction():
        row = await conn.fetchrow(
            "select status, started_at from lms.backup_steps"
            " where backup_id = $1 and step = $2 for update",
            backup_id,
            step.value,
        )
        if row is None:
            raise NotFound(f"backup {backup_id} has no step {step}")
        check_transition(step, StepStatus(row["status"]), status)
        started: datetime | None = row["started_at"]
        duration_ms = int((now - started).total_seconds() * 1000) if started else None
        await conn.execute(
            """
            update lms.backup_steps
            set status = $3, finished_at = $4, duration_ms = $5, detail = $6::jsonb, error = $7,
                size_bytes = $8
            where backup_id = $1 and step = $2
            """,
            backup_id,
            step.value,
            status.value,
            now,
            duration_ms,
            _json(detail or {}),
            error,
            size_bytes,
        )
        await conn.execute(
            """
            update lms.run_steps
            set status = $2, finished_at = $3, duration_ms = $4, detail = $5::jsonb, error = $6,
                size_bytes = $7
            where id = $1
            """,
            run_step_id,
            status.value,
            now,
            duration_ms,
            _json(detail or {}),
            error,
            size_bytes,
        )


async def set_step_detail(
    conn: asyncpg.Connection, backup_id: str, step: Step, detail: dict[str, Any]
) -> None:
    """Note progress of a running step (an RDS task id) so a run that dies can be followed up."""
    await conn.execute(
        "update lms.backup_steps set detail = $3::jsonb"
        " where backup_id = $1 and step = $2 and status = 'running'",
        backup_id,
        step.value,
        _json(detail),
    )


async def skip_steps(
    conn: asyncpg.Connection, backup_id: str, steps: Sequence[Step], *, reason: str
) -> None:
    """Mark steps that will not run for this backup (a newer backup is restored instead)."""
    await conn.execute(
        """
        update lms.backup_steps set status = 'skipped', error = null,
            detail = jsonb_build_object('reason', $3::text)
        where backup_id = $1 and step = any($2::text[]) and status in ('pending', 'failed',
                                                                       'not_configured')
        """,
        backup_id,
        [s.value for s in steps],
        reason,
    )


async def reset_steps(
    conn: asyncpg.Connection, backup_id: str, steps: Sequence[Step], *, allow_succeeded: bool
) -> None:
    """Send steps back to pending with a fresh attempt count (an operator's re-run)."""
    current = await get_steps(conn, backup_id)
    for step in steps:
        record = current.get(step)
        if record is None:
            raise NotFound(f"backup {backup_id} has no step {step}")
        if record.status == StepStatus.RUNNING:
            raise IllegalTransition(f"step {step} is running now; wait for its run to end")
        if record.status == StepStatus.SUCCEEDED and not allow_succeeded:
            raise IllegalTransition(f"step {step} already succeeded; there is nothing to re-run")
    await conn.execute(
        """
        update lms.backup_steps set status = 'pending', attempts = 0, error = null
        where backup_id = $1 and step = any($2::text[])
        """,
        backup_id,
        [s.value for s in steps],
    )


async def interrupted_steps(conn: asyncpg.Connection) -> list[StepRecord]:
    """Steps left ``running`` (only meaningful while holding the run lock: no run is alive)."""
    rows = await conn.fetch("select * from lms.backup_steps where status = 'running'")
    return [_step(r) for r in rows]


# Runs


async def create_run(
    conn: asyncpg.Connection,
    *,
    mode: RunMode,
    trigger: str,
    now: datetime,
    requested_by: str | None = None,
    requested_role: str | None = None,
    request_id: str | None = None,
    backup_id: str | None = None,
    step: Step | None = None,
) -> RunRecord:
    row = await conn.fetchrow(
        """
        insert into lms.runs (id, mode, status, trigger, requested_by, requested_role,
                              request_id, backup_id, step, requested_at)
        values ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $9)
        returning *
        """,
        str(uuid.uuid4()),
        mode.value,
        trigger,
        requested_by,
        requested_role,
        request_id,
        backup_id,
        step.value if step else None,
        now,
    )
    assert row is not None
    return msgspec.convert(dict(row), RunRecord)


async def get_run(conn: asyncpg.Connection, run_id: str) -> RunRecord:
    row = await conn.fetchrow("select * from lms.runs where id = $1", run_id)
    if row is None:
        raise NotFound(f"no run {run_id}")
    return msgspec.convert(dict(row), RunRecord)


async def list_runs(
    conn: asyncpg.Connection, *, limit: int, before: datetime | None = None
) -> list[RunRecord]:
    rows = await conn.fetch(
        """
        select * from lms.runs where $1::timestamptz is null or requested_at < $1
        order by requested_at desc, id desc limit $2
        """,
        before,
        limit,
    )
    return [msgspec.convert(dict(r), RunRecord) for r in rows]


async def start_run(conn: asyncpg.Connection, run_id: str, *, now: datetime) -> None:
    status = await conn.fetchval(
        "update lms.runs set status = 'running', started_at = $2 where id = $1"
        " and status in ('queued', 'running') returning status",
        run_id,
        now,
    )
    if status is None:
        raise Conflict(f"run {run_id} has already finished")


async def finish_run(
    conn: asyncpg.Connection,
    run_id: str,
    *,
    status: RunStatus,
    now: datetime,
    summary: str,
    error: str | None = None,
) -> None:
    await conn.execute(
        """
        update lms.runs set status = $2, finished_at = $3, summary = $4, error = $5,
            started_at = coalesce(started_at, $3)
        where id = $1
        """,
        run_id,
        status.value,
        now,
        summary,
        error,
    )


async def set_run_alert(conn: asyncpg.Connection, run_id: str, message_id: str) -> None:
    await conn.execute(
        "update lms.runs set alert_message_id = $2 where id = $1", run_id, message_id
    )


async def close_abandoned_runs(conn: asyncpg.Connection, *, keep: str, now: datetime) -> int:
    """Runs still marked running whose process died (called while holding the run lock)."""
    result: str = await conn.execute(
        """
        update lms.runs set status = 'failed', finished_at = $2,
            error = 'the run stopped before finishing (process killed or lost)'
        where status = 'running' and id <> $1
        """,
        keep,
        now,
    )
    return int(result.split()[-1])


async def run_steps(conn: asyncpg.Connection, run_ids: Sequence[str]) -> list[RunStepRecord]:
    rows = await conn.fetch(
        "select * from lms.run_steps where run_id = any($1::text[]) order by id", list(run_ids)
    )
    return [_run_step(r) for r in rows]


async def backup_history(conn: asyncpg.Connection, backup_id: str) -> list[RunStepRecord]:
    rows = await conn.fetch(
        "select * from lms.run_steps where backup_id = $1 order by id", backup_id
    )
    return [_run_step(r) for r in rows]


# Archived objects and retention


async def record_archived(
    conn: asyncpg.Connection,
    *,
    key: str,
    backup_id: str,
    kind: str,
    size_bytes: int,
    sha256: str,
    now: datetime,
) -> None:
    await conn.execute(
        """
        insert into lms.archived_objects (key, backup_id, kind, size_bytes, sha256, archived_at)
        values ($1, $2, $3, $4, $5, $6)
        on conflict (key) do update set deleted_at = null
        """,
        key,
        backup_id,
        kind,
        size_bytes,
        sha256,
        now,
    )


async def archived_objects(conn: asyncpg.Connection, backup_id: str) -> list[ArchivedObject]:
    rows = await conn.fetch(
        "select * from lms.archived_objects where backup_id = $1 and deleted_at is null"
        " order by key",
        backup_id,
    )
    return [msgspec.convert(dict(r), ArchivedObject) for r in rows]


async def archived_backups(conn: asyncpg.Connection) -> list[ArchivedBackup]:
    rows = await conn.fetch(
        """
        select distinct b.id, b.taken_at from lms.backups b
        join lms.archived_objects o on o.backup_id = b.id and o.deleted_at is null
        """
    )
    return [ArchivedBackup(backup_id=r["id"], taken_at=r["taken_at"]) for r in rows]


async def mark_archive_deleted(
    conn: asyncpg.Connection, backup_id: str, keys: Sequence[str], *, now: datetime
) -> None:
    async with conn.transaction():
        await conn.execute(
            "update lms.archived_objects set deleted_at = $3"
            " where backup_id = $1 and key = any($2::text[])",
            backup_id,
            list(keys),
            now,
        )
        await conn.execute(
            "update lms.backups set archive_deleted_at = $2 where id = $1", backup_id, now
        )


# Restores and the loan book in service


async def record_restore(
    conn: asyncpg.Connection,
    *,
    database_name: str,
    backup_id: str,
    run_id: str,
    mode: str,
    now: datetime,
) -> None:
    await conn.execute(
        """
        insert into lms.restores (database_name, backup_id, run_id, mode, restored_at)
        values ($1, $2, $3, $4, $5)
        on conflict (database_name) do update set run_id = excluded.run_id
        """,
        database_name,
        backup_id,
        run_id,
        mode,
        now,
    )


async def record_verification(
    conn: asyncpg.Connection,
    database_name: str,
    *,
    verified: bool,
    checks: Sequence[CheckResult],
    row_counts: dict[str, int],
    now: datetime,
) -> None:
    await conn.execute(
        """
        update lms.restores set verified = $2, checks = $3::jsonb, row_counts = $4::jsonb,
            verified_at = $5
        where database_name = $1
        """,
        database_name,
        verified,
        _json(list(checks)),
        _json(row_counts),
        now,
    )


async def get_restore(conn: asyncpg.Connection, database_name: str) -> RestoreRecord | None:
    row = await conn.fetchrow("select * from lms.restores where database_name = $1", database_name)
    return None if row is None else _restore(row)


async def restores_of(conn: asyncpg.Connection, backup_id: str) -> list[RestoreRecord]:
    rows = await conn.fetch(
        "select * from lms.restores where backup_id = $1 order by restored_at", backup_id
    )
    return [_restore(r) for r in rows]


async def previous_row_counts(
    conn: asyncpg.Connection, *, excluding: str
) -> tuple[str, dict[str, int]] | None:
    """Row counts of the newest verified restore other than ``excluding``."""
    row = await conn.fetchrow(
        """
        select database_name, row_counts from lms.restores
        where verified and row_counts is not null and database_name <> $1
        order by verified_at desc limit 1
        """,
        excluding,
    )
    if row is None:
        return None
    return row["database_name"], msgspec.convert(_load(row["row_counts"]), dict[str, int])


async def current_loanbook(conn: asyncpg.Connection) -> LoanBookPointer | None:
    """The restored database the portals read (None until a restore has verified)."""
    row = await conn.fetchrow("select * from lms.loanbook where singleton")
    if row is None:
        return None
    data = dict(row)
    data.pop("singleton")
    return msgspec.convert(data, LoanBookPointer)


async def switch_loanbook(
    conn: asyncpg.Connection,
    *,
    to_database: str,
    actor: str,
    run_id: str | None,
    now: datetime,
) -> LoanBookPointer:
    """Put ``to_database`` in service, keeping the one it replaces for rollback. Idempotent."""
    async with conn.transaction():
        await conn.execute("lock table lms.loanbook in exclusive mode")
        current = await current_loanbook(conn)
        if current is not None and current.current_database == to_database:
            return current
        previous = current.current_database if current else None
        await conn.execute(
            """
            insert into lms.loanbook (singleton, current_database, previous_database, switched_at,
                                      switched_by, run_id)
            values (true, $1, $2, $3, $4, $5)
            on conflict (singleton) do update set current_database = excluded.current_database,
                previous_database = excluded.previous_database,
                switched_at = excluded.switched_at, switched_by = excluded.switched_by,
                run_id = excluded.run_id
            """,
            to_database,
            previous,
            now,
            actor,
            run_id,
        )
        await conn.execute(
            """
            insert into lms.loanbook_switches (from_database, to_database, reason, actor, run_id,
                                               switched_at)
            values ($1, $2, 'verified', $3, $4, $5)
            """,
            previous,
            to_database,
            actor,
            run_id,
            now,
        )
    pointer = await current_loanbook(conn)
    assert pointer is not None
    return pointer


async def rollback_loanbook(
    conn: asyncpg.Connection, *, actor: str, now: datetime
) -> LoanBookPointer:
    """Put the previous loan book back in service; the rolled-back one is not kept for another
    rollback (rolling back twice would be a switch to an older, unverified-for-today book)."""
    async with conn.transaction():
        await conn.execute("lock table lms.loanbook in exclusive mode")
        current = await current_loanbook(conn)
        if current is None or current.previous_database is None:
            raise IllegalTransition("there is no previous loan book to roll back to")
        await conn.execute(
            """
            update lms.loanbook set current_database = $1, previous_database = null,
                switched_at = $2, switched_by = $3, run_id = null
            where singleton
            """,
            current.previous_database,
            now,
            actor,
        )
        await conn.execute(
            """
            insert into lms.loanbook_switches (from_database, to_database, reason, actor, run_id,
                                               switched_at)
            values ($1, $2, 'rollback', $3, null, $4)
            """,
            current.current_database,
            current.previous_database,
            actor,
            now,
        )
    pointer = await current_loanbook(conn)
    assert pointer is not None
    return pointer


async def protected_backup_ids(conn: asyncpg.Connection) -> set[str]:
    """Backups behind the loan book in service and the one kept for rollback."""
    rows = await conn.fetch(
        """
        select r.backup_id from lms.restores r
        join lms.loanbook l on r.database_name in (l.current_database, l.previous_database)
        """
    )
    return {r["backup_id"] for r in rows}


# Operations actions (audit)


async def record_ops_action(
    conn: asyncpg.Connection,
    *,
    action: str,
    actor: str,
    roles: Sequence[str],
    request_id: str | None,
    target: str | None,
    detail: dict[str, Any],
    now: datetime,
) -> int:
    action_id: int = await conn.fetchval(
        """
        insert into lms.ops_actions (action, actor, roles, request_id, target, detail, at)
        values ($1, $2, $3, $4, $5, $6::jsonb, $7) returning id
        """,
        action,
        actor,
        ",".join(sorted(roles)),
        request_id,
        target,
        _json(detail),
        now,
    )
    return action_id


async def list_ops_actions(conn: asyncpg.Connection, *, limit: int) -> list[OpsAction]:
    rows = await conn.fetch("select * from lms.ops_actions order by id desc limit $1", limit)
    out: list[OpsAction] = []
    for r in rows:
        data = dict(r)
        data["detail"] = _load(data["detail"]) or {}
        out.append(msgspec.convert(data, OpsAction))
    return out
