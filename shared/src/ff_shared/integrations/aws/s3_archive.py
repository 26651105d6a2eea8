"""Archiving files in S3 exactly once: never overwrite, SHA-256 in the object's metadata.

An object already at the key with the same SHA-256 is the same archive (a rerun after a crash
finds its own upload and moves on); one with a different SHA-256 is refused. Uploads larger than
one part go multipart, several parts at a time; the final write is conditional (``If-None-Match:
*``), so two workers racing for a key cannot both win.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
import structlog
from botocore.exceptions import ClientError

log = structlog.get_logger()

SHA256_METADATA = "sha256"
PARALLEL_PARTS = 4
MIN_PART_BYTES = 5 * 1024 * 1024

Progress = Callable[[int, int], None]


class ArchiveError(Exception):
    retryable = True


class ArchiveConflict(ArchiveError):
    """A different object already sits at the key: archives are never overwritten."""

    retryable = False


class Archived(msgspec.Struct, frozen=True, kw_only=True):
    bucket: str
    key: str
    size_bytes: int
    sha256: str
    etag: str
    uploaded: bool
    """False when the object was already there (an earlier run archived it)."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


async def head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        result: dict[str, Any] = await s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise ArchiveError(f"S3 head of {key} failed: {_code(exc)}") from exc
    return result


def _existing(bucket: str, key: str, found: Mapping[str, Any], sha256: str, size: int) -> Archived:
    theirs = str(found.get("Metadata", {}).get(SHA256_METADATA, ""))
    if theirs != sha256 or int(found.get("ContentLength", -1)) != size:
        raise ArchiveConflict(
            f"s3://{bucket}/{key} already holds a different file (sha256 {theirs or 'unknown'});"
            " archived backups are never overwritten"
        )
    return Archived(
        bucket=bucket,
        key=key,
        size_bytes=size,
        sha256=sha256,
        etag=str(found.get("ETag", "")).strip('"'),
        uploaded=False,
    )


def _read_part(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(length)


async def _abort_stale_uploads(s3: Any, bucket: str, key: str) -> None:
    """Multipart uploads a killed run left behind for this key (they would only cost money)."""
    listing = await s3.list_multipart_uploads(Bucket=bucket, Prefix=key)
    for upload in listing.get("Uploads", []):
        if upload.get("Key") == key:
            await s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
            log.info("s3_stale_upload_aborted", key=key)


async def archive_file(
    s3: Any,
    *,
    bucket: str,
    key: str,
    path: Path,
    sha256: str,
    metadata: Mapping[str, str] | None = None,
    part_bytes: int = 16 * 1024 * 1024,
    progress: Progress | None = None,
) -> Archived:
    """Upload ``path`` to ``s3://bucket/key`` unless that very file is already there."""
    size = (await asyncio.to_thread(path.stat)).st_size
    found = await head(s3, bucket, key)
    if found is not None:
        return _existing(bucket, key, found, sha256, size)
    meta = {**(metadata or {}), SHA256_METADATA: sha256}
    part_bytes = max(part_bytes, MIN_PART_BYTES)
    if progress is not None:
        progress(0, size)
    try:
        if size <= part_bytes:
            body = await asyncio.to_thread(path.read_bytes)
            result = await s3.put_object(
                Bucket=bucket, Key=key, Body=body, Metadata=meta, IfNoneMatch="*"
            )
            if progress is not None:
                progress(size, size)
            etag = str(result.get("ETag", "")).strip('"')
        else:
            etag = await _multipart(s3, bucket, key, path, size, meta, part_bytes, progress)
    except ClientError as exc:
        if _code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            found = await head(s3, bucket, key)
            if found is not None:
                return _existing(bucket, key, found, sha256, size)
        raise ArchiveError(f"archiving {key} failed: {_code(exc)}") from exc
    log.info("s3_object_archived", bucket=bucket, key=key, size_bytes=size)
    return Archived(
        bucket=bucket, key=key, size_bytes=size, sha256=sha256, etag=etag, uploaded=True
    )


async def _multipart(
    s3: Any,
    bucket: str,
    key: str,
    path: Path,
    size: int,
    metadata: Mapping[str, str],
    part_bytes: int,
    progress: Progress | None,
) -> str:
    await _abort_stale_uploads(s3, bucket, key)
    upload_id = (await s3.create_multipart_upload(Bucket=bucket, Key=key, Metadata=dict(metadata)))[
        "UploadId"
    ]
    offsets = list(range(0, size, part_bytes))
    parts: dict[int, str] = {}
    done = 0
    gate = asyncio.Semaphore(PARALLEL_PARTS)

    async def upload(number: int, offset: int) -> None:
        nonlocal done
        async with gate:
            length = min(part_bytes, size - offset)
            body = await asyncio.to_thread(_read_part, path, offset, length)
            result = await s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
            )
            parts[number] = str(result["ETag"])
            done += length
            if progress is not None:
                progress(done, size)

    try:
        async with asyncio.TaskGroup() as group:
            for number, offset in enumerate(offsets, start=1):
                group.create_task(upload(number, offset))
        result = await s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": parts[n]} for n in sorted(parts)]},
            IfNoneMatch="*",
        )
    except BaseException:
        with contextlib.suppress(ClientError):
            await s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise
    return str(result.get("ETag", "")).strip('"')


async def download_file(
    s3: Any, *, bucket: str, key: str, path: Path, progress: Progress | None = None
) -> int:
    """Fetch an archived object to ``path`` (a disk restore of a backup no longer on disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        response = await s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        raise ArchiveError(f"reading {key} failed: {_code(exc)}") from exc
    total = int(response.get("ContentLength", 0))
    done = 0
    with tmp.open("wb") as out:
        async with response["Body"] as stream:
            while chunk := await stream.read(8 * 1024 * 1024):
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    tmp.replace(path)
    return done


async def delete_objects(s3: Any, *, bucket: str, keys: Sequence[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        result = await s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
        )
        errors = result.get("Errors", [])
        if errors:
            raise ArchiveError(f"S3 refused to delete {len(errors)} object(s)")


async def ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    """Create the bucket if it is missing (the local stack and the tests)."""
    try:
        await s3.head_bucket(Bucket=bucket)
        return
    except ClientError:
        pass
    await s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


async def missing_keys(s3: Any, bucket: str, keys: Sequence[str]) -> list[str]:
    """The keys of ``keys`` with no object in ``bucket`` (a catalogue that outlived its store)."""
    missing: list[str] = []
    for key in keys:
        try:
            await s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            missing.append(key)
    return missing
