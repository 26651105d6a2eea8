"""Bodies for documents: the customer's, and staff's (who see who uploaded what, and why a file
was rejected)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from ff_shared.domain.documents import DocumentKind, DocumentRecord
from ff_shared.integrations.aws import s3

UploadMethod = Literal["post", "put"]


class DocumentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    application_id: str
    kind: DocumentKind
    content_type: Annotated[str, msgspec.Meta(max_length=100, examples=["application/pdf"])]
    size_bytes: Annotated[int, msgspec.Meta(ge=1, description="Exact size of the file in bytes")]
    upload_method: UploadMethod = "post"
    """`post`: a browser form (S3 POST policy); `put`: one PUT with the given headers."""


class StaffDocumentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    application_id: str | None = None
    """The application the document supports; its customer is the document's owner."""
    customer_id: str | None = None
    """The customer, for a document not tied to one application."""
    kind: DocumentKind
    content_type: Annotated[str, msgspec.Meta(max_length=100, examples=["application/pdf"])]
    size_bytes: Annotated[int, msgspec.Meta(ge=1)]
    upload_method: UploadMethod = "post"


class UploadInstructions(msgspec.Struct, kw_only=True):
    method: str
    url: str
    fields: dict[str, str]
    """POST: send these form fields, then the file as the last field, named `file`."""
    headers: dict[str, str]
    """PUT: send exactly these headers with the file as the body."""
    expires_in_seconds: int


class DocumentUpload(msgspec.Struct, kw_only=True):
    id: str
    status: str
    upload: UploadInstructions


class CustomerDocumentView(msgspec.Struct, kw_only=True):
    id: str
    application_id: str | None
    kind: str
    content_type: str
    size_bytes: int
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    download_url: str | None
    """A short-lived link to the file, once it is available."""


class DocumentView(msgspec.Struct, kw_only=True):
    id: str
    customer_id: str
    application_id: str | None
    kind: str
    content_type: str
    size_bytes: int
    status: str
    uploaded_by: dict[str, Any]
    created_at: datetime
    confirmed_at: datetime | None
    rejected_reason: str | None
    version: int


class StaffDocumentView(msgspec.Struct, kw_only=True):
    document: DocumentView
    download_url: str | None
    """A short-lived link, once the document is available."""


def instructions(upload: s3.PresignedUpload) -> UploadInstructions:
    return UploadInstructions(
        method=upload.method,
        url=upload.url,
        fields=upload.fields,
        headers=upload.headers,
        expires_in_seconds=upload.expires_in_seconds,
    )


def document_view(record: DocumentRecord) -> DocumentView:
    return DocumentView(
        id=record.id,
        customer_id=record.customer_id,
        application_id=record.application_id,
        kind=record.kind.value,
        content_type=record.content_type,
        size_bytes=record.size_bytes,
        status=record.status.value,
        uploaded_by=msgspec.to_builtins(record.uploaded_by),
        created_at=record.created_at,
        confirmed_at=record.confirmed_at,
        rejected_reason=record.rejected_reason,
        version=record.version,
    )
