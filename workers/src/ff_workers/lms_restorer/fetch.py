"""Step 1, fetch: find finished backups on the SFTP server and download each with resume.

A file whose size or modification time changes between two listings ``sftp_settle_seconds``
apart is still being written: it is left for the next run. A download is checked against the
size listed and, where the server publishes ``<name>.sha256`` or ``<name>.md5``, that checksum.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import structlog

from ff_shared.clock import now_utc
from ff_shared.domain.backups.files import backup_taken_at, is_backup_name, parse_checksum_file
from ff_shared.integrations.sftp.client import RemoteFile, SftpError, SftpSession, open_sftp
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres import transaction
from ff_shared.stores.postgres.lms import BackupRecord
from ff_workers.lms_restorer.context import Clients, StepDone, StepFailed, sftp_config

log = structlog.get_logger()

CHECKSUM_SUFFIXES = (("sha256", ".sha256"), ("md5", ".md5"))


class Discovery(msgspec.Struct, frozen=True, kw_only=True):
    ready: list[RemoteFile]
    growing: list[str]


async def discover(clients: Clients) -> Discovery:
    """Two listings, ``sftp_settle_seconds`` apart: what is finished, what is still growing."""
    lms = clients.lms
    try:
        async with open_sftp(sftp_config(lms)) as sftp:
            first = {f.name: f for f in await sftp.list_files(lms.sftp_directory)}
            await asyncio.sleep(lms.sftp_settle_seconds)
            second = await sftp.list_files(lms.sftp_directory)
    except SftpError as exc:
        raise StepFailed(f"listing the SFTP server failed: {exc}") from exc
    ready: list[RemoteFile] = []
    growing: list[str] = []
    for remote in second:
        if not is_backup_name(remote.name):
            continue
        before = first.get(remote.name)
        if before is None or (before.size, before.modified_at) != (
            remote.size,
            remote.modified_at,
        ):
            growing.append(remote.name)
            log.info(
                "lms_backup_still_growing",
                file=remote.name,
                size_before=before.size if before else None,
                size_now=remote.size,
            )
            continue
        ready.append(remote)
    return Discovery(ready=ready, growing=growing)


async def catalogue_new(clients: Clients, discovery: Discovery) -> list[BackupRecord]:
    added: list[BackupRecord] = []
    async with clients.pg.acquire() as conn:
        known = await catalogue.known_file_names(conn)
    for remote in discovery.ready:
        if remote.name in known:
            continue
        async with transaction(clients.pg) as conn:
            record = await catalogue.add_backup(
                conn,
                file_name=remote.name,
                remote_path=remote.path,
                size_bytes=remote.size,
                remote_modified_at=remote.modified_at,
                taken_at=backup_taken_at(remote.name, remote.modified_at),
                now=now_utc(),
            )
        log.info("lms_backup_catalogued", backup_id=record.id, file=remote.name)
        added.append(record)
    return added


async def _published_checksum(sftp: SftpSession, remote: RemoteFile) -> tuple[str, str] | None:
    for algorithm, suffix in CHECKSUM_SUFFIXES:
        text = await sftp.read_text(remote.path + suffix)
        if text is None:
            continue
        try:
            published = parse_checksum_file(text, remote.name, algorithm)
        except ValueError as exc:
            raise StepFailed(f"{remote.name}{suffix} is unreadable: {exc}") from exc
        return published.algorithm, published.hexdigest
    return None


async def fetch(clients: Clients, backup: BackupRecord) -> StepDone:
    lms = clients.lms
    local = clients.original_path(backup.file_name)
    try:
        async with open_sftp(sftp_config(lms)) as sftp:
            listing = {f.name: f for f in await sftp.list_files(lms.sftp_directory)}
            remote = listing.get(backup.file_name)
            if remote is None:
                raise StepFailed(f"{backup.file_name} is no longer on the SFTP server")
            if (remote.size, remote.modified_at) != (backup.size_bytes, backup.remote_modified_at):
                raise StepFailed(
                    f"{backup.file_name} changed on the server since it was catalogued"
                    f" ({backup.size_bytes} -> {remote.size} bytes): check with Anchor before"
                    " trusting either"
                )
            published = await _published_checksum(sftp, remote)
            download = await sftp.download(
                remote,
                local,
                progress=lambda done, total: clients.report(f"download {remote.name}", done, total),
                md5=published is not None and published[0] == "md5",
            )
    except SftpError as exc:
        raise StepFailed(str(exc), {"retryable": exc.retryable}) from exc
    detail: dict[str, Any] = {
        "sha256": download.sha256,
        "resumed_from": download.resumed_from,
        "transferred": download.transferred,
        "published_checksum": f"{published[0]}:{published[1]}" if published else None,
    }
    if published is not None:
        algorithm, expected = published
        actual = download.sha256 if algorithm == "sha256" else download.md5
        if actual != expected:
            # The bytes are wrong somewhere: start again from nothing next time.
            await asyncio.to_thread(local.unlink, True)
            raise StepFailed(
                f"{backup.file_name}: {algorithm} checksum mismatch (published {expected},"
                f" downloaded {actual}); the download was discarded",
                {**detail, "actual": actual, "expected": expected},
            )
    async with clients.pg.acquire() as conn:
        await catalogue.set_fetched(
            conn,
            backup.id,
            sha256=download.sha256,
            published_checksum=detail["published_checksum"],
        )
    log.info(
        "lms_backup_fetched",
        backup_id=backup.id,
        size_bytes=download.size,
        resumed_from=download.resumed_from,
        checksum_checked=published is not None,
    )
    return StepDone(detail=detail, size_bytes=download.size)
