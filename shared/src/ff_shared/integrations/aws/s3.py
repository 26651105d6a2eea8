"""S3 for customer documents: presigned uploads and downloads, and checking what arrived.

Uploads go straight from the browser to S3. The presigned POST policy pins the object key, the
content type and the exact size (``content-length-range``), so S3 itself refuses anything else;
a presigned PUT signs the ``Content-Type`` and ``Content-Length`` headers to the same end. The
API still checks the stored object before a document is usable (``head``).
"""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from botocore.exceptions import ClientError

from ff_shared.errors import DependencyUnavailable

log = structlog.get_logger()


class PresignedUpload(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    url: str
    fields: dict[str, str] = msgspec.field(default_factory=dict)
    """Form fields to send before the file (POST)."""
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    """Headers to send exactly as given (PUT)."""
    expires_in_seconds: int


class StoredObject(msgspec.Struct, frozen=True, kw_only=True):
    size_bytes: int
    content_type: str | None


def _unavailable(operation: str, exc: ClientError) -> DependencyUnavailable:
    code = exc.response.get("Error", {}).get("Code", "")
    log.warning("s3_call_failed", operation=operation, code=code)
    return DependencyUnavailable(f"document storage refused {operation}: {code}", dependency="s3")


async def presigned_post(
    s3: Any, *, bucket: str, key: str, content_type: str, size_bytes: int, expires_seconds: int
) -> PresignedUpload:
    """A browser form upload that S3 accepts only for this key, type and exact size."""
    try:
        post = await s3.generate_presigned_post(
            Bucket=bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", size_bytes, size_bytes],
            ],
            ExpiresIn=expires_seconds,
        )
    except ClientError as exc:
        raise _unavailable("presign_post", exc) from exc
    return PresignedUpload(
        method="POST",
        url=str(post["url"]),
        fields={str(k): str(v) for k, v in post["fields"].items()},
        expires_in_seconds=expires_seconds,
    )


async def presigned_put(
    s3: Any, *, bucket: str, key: str, content_type: str, size_bytes: int, expires_seconds: int
) -> PresignedUpload:
    """A single PUT whose signature covers the content type and length."""
    try:
        url = await s3.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": bucket,
                "Key": key,
                "ContentType": content_type,
                "ContentLength": size_bytes,
            },
            ExpiresIn=expires_seconds,
        )
    except ClientError as exc:
        raise _unavailable("presign_put", exc) from exc
    return PresignedUpload(
        method="PUT",
        url=str(url),
        headers={"Content-Type": content_type, "Content-Length": str(size_bytes)},
        expires_in_seconds=expires_seconds,
    )


async def presigned_get(
    s3: Any, *, bucket: str, key: str, expires_seconds: int, content_type: str | None = None
) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if content_type:
        params["ResponseContentType"] = content_type
    try:
        url = await s3.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_seconds
        )
    except ClientError as exc:
        raise _unavailable("presign_get", exc) from exc
    return str(url)


async def head(s3: Any, *, bucket: str, key: str) -> StoredObject | None:
    """What is stored under ``key``, or None when nothing is."""
    try:
        found = await s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise _unavailable("head", exc) from exc
    return StoredObject(
        size_bytes=int(found["ContentLength"]), content_type=found.get("ContentType")
    )


async def read_head(s3: Any, *, bucket: str, key: str, length: int) -> bytes:
    """The first ``length`` bytes of the object (fewer when it is shorter)."""
    try:
        found = await s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}")
        async with found["Body"] as body:
            data: bytes = await body.read()
    except ClientError as exc:
        raise _unavailable("get", exc) from exc
    return data[:length]


async def copy(s3: Any, *, bucket: str, source: str, key: str) -> None:
    """Copy ``source`` to ``key`` in the same bucket, type and metadata included."""
    try:
        await s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": source})
    except ClientError as exc:
        raise _unavailable("copy", exc) from exc


async def delete(s3: Any, *, bucket: str, key: str) -> None:
    try:
        await s3.delete_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        raise _unavailable("delete", exc) from exc


async def ensure_bucket(s3: Any, *, bucket: str, region: str) -> None:
    """Create the bucket if it is missing (local stack and tests; Terraform owns it in AWS)."""
    try:
        await s3.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) not in {"404", "NoSuchBucket"}:
            raise _unavailable("head_bucket", exc) from exc
    if region == "us-east-1":
        await s3.create_bucket(Bucket=bucket)
    else:
        await s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
        )
    log.info("s3_bucket_created", bucket=bucket)
