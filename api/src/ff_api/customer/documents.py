"""Documents: presigned uploads straight to S3, a confirmation that checks what arrived, and
presigned downloads that expire. Customers see only their own; staff use the same steps
(``create_upload``, ``confirm_upload``, ``download_url``) from their own routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
import structlog
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.customer import auditing
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.audit import Target
from ff_shared.domain.documents import (
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
    Uploader,
    check_upload,
    mismatch,
    object_key,
)
from ff_shared.errors import FieldProblem, InvalidInput, UploadNotFound, UploadRejected
from ff_shared.integrations.aws import s3
from ff_shared.stores.mongo import applications, uploads
from ff_shared.stores.mongo.applications import new_id

log = structlog.get_logger()

UploadMethod = Literal["post", "put"]


class DocumentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    application_id: str
    kind: DocumentKind
    content_type: Annotated[str, msgspec.Meta(max_length=100, examples=["application/pdf"])]
    size_bytes: Annotated[int, msgspec.Meta(ge=1, description="Exact size of the file in bytes")]
    upload_method: UploadMethod = "post"
    """`post`: a browser form (S3 POST policy); `put`: one PUT with the given headers."""


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


def _problems(content_type: str, size_bytes: int, max_bytes: int) -> None:
    found = check_upload(content_type, size_bytes, max_bytes=max_bytes)
    if found:
        raise InvalidInput(
            "the document cannot be uploaded",
            errors=[FieldProblem(path=p.path, message=p.message) for p in found],
        )


async def create_upload(
    services: Services,
    *,
    customer_id: str,
    application_id: str | None,
    kind: DocumentKind,
    content_type: str,
    size_bytes: int,
    method: UploadMethod,
    uploaded_by: Uploader,
) -> tuple[DocumentRecord, s3.PresignedUpload]:
    settings = services.settings.documents
    _problems(content_type, size_bytes, settings.max_bytes)
    document_id = new_id()
    key = object_key(customer_id, document_id)
    presign = s3.presigned_post if method == "post" else s3.presigned_put
    upload = await presign(
        services.s3,
        bucket=settings.bucket,
        key=key,
        content_type=content_type,
        size_bytes=size_bytes,
        expires_seconds=settings.upload_expires_seconds,
    )
    record = await uploads.create(
        document_id=document_id,
        customer_id=customer_id,
        application_id=application_id,
        kind=kind.value,
        content_type=content_type,
        size_bytes=size_bytes,
        object_key=key,
        uploaded_by=uploaded_by,
        now=now_utc(),
    )
    log.info("document_upload_issued", document_id=document_id, method=method)
    return record, upload


async def confirm_upload(services: Services, record: DocumentRecord) -> DocumentRecord:
    """``available`` once S3 holds exactly what was declared; a mismatch is deleted and the
    document ``rejected``. Confirming again is harmless."""
    if record.status is not DocumentStatus.PENDING:
        if record.status is DocumentStatus.REJECTED:
            raise UploadRejected(record.rejected_reason or "the upload was rejected")
        return record
    bucket = services.settings.documents.bucket
    stored = await s3.head(services.s3, bucket=bucket, key=record.object_key)
    if stored is None:
        raise UploadNotFound("upload the file to the URL you were given, then confirm it")
    reason = mismatch(record, size_bytes=stored.size_bytes, content_type=stored.content_type)
    if reason is not None:
        await s3.delete(services.s3, bucket=bucket, key=record.object_key)
        await uploads.set_status(record, DocumentStatus.REJECTED, now=now_utc(), reason=reason)
        log.info("document_rejected", document_id=record.id)
        raise UploadRejected(reason)
    confirmed = await uploads.set_status(record, DocumentStatus.AVAILABLE, now=now_utc())
    log.info("document_confirmed", document_id=record.id)
    return confirmed


async def download_url(services: Services, record: DocumentRecord) -> str | None:
    if record.status is not DocumentStatus.AVAILABLE:
        return None
    settings = services.settings.documents
    return await s3.presigned_get(
        services.s3,
        bucket=settings.bucket,
        key=record.object_key,
        expires_seconds=settings.download_expires_seconds,
        content_type=record.content_type,
    )


def instructions(upload: s3.PresignedUpload) -> UploadInstructions:
    return UploadInstructions(
        method=upload.method,
        url=upload.url,
        fields=upload.fields,
        headers=upload.headers,
        expires_in_seconds=upload.expires_in_seconds,
    )


async def _view(services: Services, record: DocumentRecord) -> CustomerDocumentView:
    return CustomerDocumentView(
        id=record.id,
        application_id=record.application_id,
        kind=record.kind.value,
        content_type=record.content_type,
        size_bytes=record.size_bytes,
        status=record.status.value,
        created_at=record.created_at,
        confirmed_at=record.confirmed_at,
        download_url=await download_url(services, record),
    )


class DocumentController(Controller):
    path = "/documents"
    tags = ["customer: documents"]

    @post(
        operation_id="create_document",
        summary="Ask to upload a document (payslip, bank statement, ID) for an application",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        data: JSONBody[DocumentCreate],
    ) -> DocumentUpload:
        await applications.get_application(data.application_id, customer_id=customer.customer_id)
        record, upload = await create_upload(
            services,
            customer_id=customer.customer_id,
            application_id=data.application_id,
            kind=data.kind,
            content_type=data.content_type,
            size_bytes=data.size_bytes,
            method=data.upload_method,
            uploaded_by=Uploader(type="customer", id=customer.customer_id),
        )
        await auditing.record(
            customer,
            "document.upload_requested",
            Target(type="document", id=record.id),
            now=record.created_at,
            after={
                "application_id": record.application_id,
                "kind": record.kind.value,
                "content_type": record.content_type,
                "size_bytes": record.size_bytes,
            },
        )
        return DocumentUpload(id=record.id, status=record.status.value, upload=instructions(upload))

    @post(
        "/{document_id:str}/confirm",
        operation_id="confirm_document",
        summary="Say the upload is done; the document becomes available once it checks out",
        status_code=HTTP_200_OK,
    )
    async def confirm(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        document_id: FromPath[str],
    ) -> CustomerDocumentView:
        record = await uploads.get(document_id, customer_id=customer.customer_id)
        try:
            confirmed = await confirm_upload(services, record)
        except UploadRejected as exc:
            if record.status is DocumentStatus.PENDING:
                await auditing.record(
                    customer,
                    "document.rejected",
                    Target(type="document", id=record.id),
                    now=now_utc(),
                    before={"status": record.status.value},
                    after={"status": DocumentStatus.REJECTED.value, "reason": exc.detail},
                )
            raise
        if confirmed.version != record.version:
            await auditing.record(
                customer,
                "document.confirmed",
                Target(type="document", id=record.id),
                now=now_utc(),
                before={"status": record.status.value},
                after={"status": confirmed.status.value},
            )
        return await _view(services, confirmed)

    @get(
        "/{document_id:str}",
        operation_id="get_document",
        summary="One of the caller's documents, with a short-lived download link",
    )
    async def get_one(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        document_id: FromPath[str],
    ) -> CustomerDocumentView:
        record = await uploads.get(document_id, customer_id=customer.customer_id)
        return await _view(services, record)

    @get(
        operation_id="list_documents",
        summary="The caller's documents for one application",
    )
    async def list_documents(
        self,
        customer: NamedDependency[CustomerPrincipal],
        services: NamedDependency[Services],
        application_id: Annotated[str, QueryParameter(description="The application's id")],
    ) -> list[CustomerDocumentView]:
        await applications.get_application(application_id, customer_id=customer.customer_id)
        return [
            await _view(services, r)
            for r in await uploads.for_application(application_id)
            if r.customer_id == customer.customer_id
        ]
