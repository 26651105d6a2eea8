"""Deleting archived backups past their retention (configurable days), never the newest N nor
the ones behind the loan book in service and its rollback."""

from __future__ import annotations

import asyncio
import shutil

import msgspec
import structlog

from ff_shared.clock import now_utc
from ff_shared.domain.backups.files import select_expired
from ff_shared.integrations.aws.s3_archive import delete_objects
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres import transaction
from ff_workers.lms_restorer.context import Clients

log = structlog.get_logger()


class RetentionResult(msgspec.Struct, frozen=True, kw_only=True):
    expired_backups: list[str]
    deleted_keys: list[str]
    dry_run: bool


async def apply_retention(clients: Clients, *, dry_run: bool = False) -> RetentionResult:
    lms = clients.lms
    async with clients.pg.acquire() as conn:
        backups = await catalogue.archived_backups(conn)
        protected = await catalogue.protected_backup_ids(conn)
        expired = select_expired(
            backups,
            now=now_utc(),
            retention_days=lms.retention_days,
            keep_newest=lms.retention_keep_newest,
            protected=protected,
        )
        keys_by_backup = {
            b: [o.key for o in await catalogue.archived_objects(conn, b)] for b in expired
        }
    deleted: list[str] = []
    for backup_id, keys in keys_by_backup.items():
        if dry_run:
            deleted += keys
            continue
        await delete_objects(clients.s3, bucket=lms.bucket, keys=keys)
        async with transaction(clients.pg) as conn:
            record = await catalogue.get_backup(conn, backup_id)
            await catalogue.mark_archive_deleted(conn, backup_id, keys, now=now_utc())
        await asyncio.to_thread(_remove_local, clients, record.file_name)
        deleted += keys
        log.info("lms_archive_expired", backup_id=backup_id, objects=len(keys))
    return RetentionResult(expired_backups=expired, deleted_keys=deleted, dry_run=dry_run)


def _remove_local(clients: Clients, file_name: str) -> None:
    original = clients.original_path(file_name)
    original.unlink(missing_ok=True)
    original.with_name(original.name + ".part").unlink(missing_ok=True)
    shutil.rmtree(clients.converted_dir(file_name), ignore_errors=True)
