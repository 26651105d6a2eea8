"""Documents customers and staff upload: payslips, bank statements, proof of identity.

A document is ``pending`` from the moment an upload URL is issued until the API has checked that
the stored object exists with the declared size and type; then it is ``available``. An object that
does not match is ``rejected`` (and deleted). At confirmation the object is copied to its
confirmed key, out of reach of the upload URL, and its first bytes are sniffed against the
declared type; the upload key is then deleted, so a confirmed file cannot be swapped. Object keys
carry no personal data.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

import msgspec


class DocumentKind(enum.StrEnum):
    PAYSLIP = "payslip"
    BANK_STATEMENT = "bank_statement"
    PROOF_OF_IDENTITY = "proof_of_identity"
    PROOF_OF_ADDRESS = "proof_of_address"
    BENEFITS_LETTER = "benefits_letter"
    OTHER = "other"


class DocumentStatus(enum.StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    REJECTED = "rejected"
    ERASED = "erased"


ALLOWED_CONTENT_TYPES: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")

UploaderType = Literal["customer", "staff"]


class Uploader(msgspec.Struct, frozen=True, kw_only=True):
    type: UploaderType
    id: str
    username: str | None = None
    """Staff logins only; a customer is named by id alone."""


class DocumentRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    customer_id: str
    application_id: str | None
    kind: DocumentKind
    content_type: str
    size_bytes: int
    status: DocumentStatus
    object_key: str
    uploaded_by: Uploader
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None = None
    rejected_reason: str | None = None
    version: int = 1


class UploadProblem(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    message: str


def check_upload(content_type: str, size_bytes: int, *, max_bytes: int) -> list[UploadProblem]:
    """Why an upload of this type and size may not be offered (empty when it may)."""
    problems: list[UploadProblem] = []
    if content_type not in ALLOWED_CONTENT_TYPES:
        problems.append(
            UploadProblem(
                path="content_type", message="must be one of " + ", ".join(ALLOWED_CONTENT_TYPES)
            )
        )
    if size_bytes < 1:
        problems.append(UploadProblem(path="size_bytes", message="must be at least 1"))
    elif size_bytes > max_bytes:
        problems.append(
            UploadProblem(path="size_bytes", message=f"must be at most {max_bytes} bytes")
        )
    return problems


def object_key(customer_id: str, document_id: str) -> str:
    """Where the upload URL puts the file."""
    return f"documents/{customer_id}/{document_id}"


def confirmed_key(customer_id: str, document_id: str) -> str:
    """Where a confirmed document lives: no upload URL is ever issued under this prefix."""
    return f"confirmed/{customer_id}/{document_id}"


SNIFF_BYTES = 16
"""How many leading bytes :func:`sniffed_type` needs."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniffed_type(head: bytes) -> str | None:
    """The content type a file's leading bytes (its signature) show, or None for none known."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def mismatch(
    record: DocumentRecord, *, size_bytes: int, content_type: str | None, head: bytes | None = None
) -> str | None:
    """Why the stored object is not the document that was declared, or None when it is
    (``head``: its leading bytes, checked against the declared type's signature)."""
    stored_type = (content_type or "").split(";")[0].strip().lower()
    if size_bytes != record.size_bytes:
        return f"the upload is {size_bytes} bytes, not the {record.size_bytes} declared"
    if stored_type != record.content_type:
        return f"the upload is {stored_type or 'untyped'}, not the {record.content_type} declared"
    if head is not None and sniffed_type(head) != record.content_type:
        return f"the file's content is not a {record.content_type} file, as declared"
    return None
