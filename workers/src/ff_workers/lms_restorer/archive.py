"""Steps 2 and 4: archive the original ``.sqb`` and the converted ``.bak`` files in S3.

Keys are dated (``originals/2026/11/27/…``, ``converted/2026/11/27/<stem>/<stem>_01.bak``), the
SHA-256 rides in the object metadata, and an archived backup is never overwritten: finding the
same object already there (a rerun after a crash) is success, a different one is a failure.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from ff_shared.clock import now_utc
from ff_shared.domain.backups.files import archive_key, converted_prefix
from ff_shared.integrations.aws.s3_archive import ArchiveError, archive_file, head
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres.lms import BackupRecord, ConvertedFile
from ff_workers.lms_restorer.context import Clients, StepDone, StepFailed

log = structlog.get_logger()


def converted_key(backup: BackupRecord, file_name: str) -> str:
    stem = Path(backup.file_name).stem
    return converted_prefix(backup.taken_at, stem) + file_name[len(stem) :]


async def _archive(
    clients: Clients,
    backup: BackupRecord,
    *,
    kind: str,
    key: str,
    path: Path,
    sha256: str,
) -> int:
    lms = clients.lms
    if not await asyncio.to_thread(path.exists):
        found = await head(clients.s3, lms.bucket, key)
        if found is None or found.get("Metadata", {}).get("sha256") != sha256:
            raise StepFailed(
                f"{path.name} is no longer in the work directory and not yet archived:"
                " re-run the step that makes it"
            )
        size = int(found["ContentLength"])
    else:
        try:
            archived = await archive_file(
                clients.s3,
                bucket=lms.bucket,
                key=key,
                path=path,
                sha256=sha256,
                metadata={"backup-id": backup.id, "source-file": backup.file_name, "kind": kind},
                part_bytes=lms.multipart_part_bytes,
                progress=lambda done, total: clients.report(f"upload {path.name}", done, total),
            )
        except ArchiveError as exc:
            raise StepFailed(str(exc), {"key": key, "retryable": exc.retryable}) from exc
        size = archived.size_bytes
    async with clients.pg.acquire() as conn:
        await catalogue.record_archived(
            conn,
            key=key,
            backup_id=backup.id,
            kind=kind,
            size_bytes=size,
            sha256=sha256,
            now=now_utc(),
        )
    return size


async def archive_original(clients: Clients, backup: BackupRecord) -> StepDone:
    if backup.sha256 is None:
        raise StepFailed("the backup has no checksum yet: fetch it first")
    key = archive_key("originals", backup.taken_at, backup.file_name)
    size = await _archive(
        clients,
        backup,
        kind="original",
        key=key,
        path=clients.original_path(backup.file_name),
        sha256=backup.sha256,
    )
    async with clients.pg.acquire() as conn:
        await catalogue.set_original_key(conn, backup.id, key)
    log.info("lms_original_archived", backup_id=backup.id, key=key, size_bytes=size)
    return StepDone(detail={"bucket": clients.lms.bucket, "key": key}, size_bytes=size)


async def archive_converted(clients: Clients, backup: BackupRecord) -> StepDone:
    if not backup.converted_files:
        raise StepFailed("the backup has no converted files yet: convert it first")
    directory = clients.converted_dir(backup.file_name)
    files: list[ConvertedFile] = []
    total = 0
    for converted in backup.converted_files:
        key = converted_key(backup, converted.name)
        total += await _archive(
            clients,
            backup,
            kind="converted",
            key=key,
            path=directory / converted.name,
            sha256=converted.sha256,
        )
        files.append(
            ConvertedFile(
                name=converted.name,
                size_bytes=converted.size_bytes,
                sha256=converted.sha256,
                key=key,
            )
        )
    async with clients.pg.acquire() as conn:
        await catalogue.set_converted(
            conn, backup.id, files=files, database_version=backup.database_version
        )
    log.info("lms_converted_archived", backup_id=backup.id, files=len(files), size_bytes=total)
    return StepDone(
        detail={"bucket": clients.lms.bucket, "keys": [f.key for f in files]}, size_bytes=total
    )
