"""Operations: the archive's objects and their retention, and the operators' audit actions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from ff_shared.domain.backups.files import ArchivedBackup
from ff_shared.stores.postgres.connection import require_transaction
from ff_shared.stores.postgres.lms.records import ArchivedObject, OpsAction, dump_json, load_json


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
    require_transaction(conn)
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
        dump_json(detail),
        now,
    )
    return action_id


async def list_ops_actions(conn: asyncpg.Connection, *, limit: int) -> list[OpsAction]:
    rows = await conn.fetch("select * from lms.ops_actions order by id desc limit $1", limit)
    out: list[OpsAction] = []
    for r in rows:
        data = dict(r)
        data["detail"] = load_json(data["detail"]) or {}
        out.append(msgspec.convert(data, OpsAction))
    return out
