"""Documents: presigned uploads straight to S3, a confirmation that checks what arrived, and
presigned downloads that expire. Customers and staff take the same steps from their own routes;
each step is audited under whoever took it."""

from __future__ import annotations

import structlog

from ff_api.audit import service as auditing
from ff_api.documents.schemas import (
    CustomerDocumentView,
    DocumentUpload,
    StaffDocumentCreate,
    UploadMethod,
    instructions,
)
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.audit import Actor, Target
from ff_shared.domain.documents import (
    SNIFF_BYTES,
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
    Uploader,
    check_upload,
    confirmed_key,
    mismatch,
    object_key,
)
from ff_shared.errors import (
    CustomerErased,
    FieldProblem,
    InvalidInput,
    UploadNotFound,
    UploadRejected,
)
from ff_shared.integrations.aws import s3
from ff_shared.stores.mongo import customers, uploads
from ff_shared.stores.mongo.applications import new_id

log = structlog.get_logger()


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


async def request_upload(
    services: Services,
    actor: Actor,
    *,
    customer_id: str,
    application_id: str | None,
    kind: DocumentKind,
    content_type: str,
    size_bytes: int,
    method: UploadMethod,
    uploaded_by: Uploader,
) -> DocumentUpload:
    """Issue an upload for the customer's file, audited under ``actor``."""
    record, upload = await create_upload(
        services,
        customer_id=customer_id,
        application_id=application_id,
        kind=kind,
        content_type=content_type,
        size_bytes=size_bytes,
        method=method,
        uploaded_by=uploaded_by,
    )
    await auditing.record(
        actor,
        "document.upload_requested",
        Target(type="document", id=record.id),
        now=record.created_at,
        customer_id=customer_id,
        after={
            "application_id": record.application_id,
            "kind": record.kind.value,
            "content_type": record.content_type,
            "size_bytes": record.size_bytes,
        },
    )
    return DocumentUpload(id=record.id, status=record.status.value, upload=instructions(upload))


async def confirm_upload(services: Services, record: DocumentRecord) -> DocumentRecord:
    """``available`` once S3 holds exactly what was declared; a mismatch is deleted and the
    document ``rejected``. Confirming again is harmless.

    The object is first copied to its confirmed key (which no upload URL reaches) and that copy
    is what is checked (size, type, and the leading bytes' signature) and later downloaded; the
    upload key is deleted, so the file cannot be swapped after confirmation."""
    if record.status is not DocumentStatus.PENDING:
        if record.status is DocumentStatus.REJECTED:
            raise UploadRejected(record.rejected_reason or "the upload was rejected")
        return record
    bucket = services.settings.documents.bucket
    if await s3.head(services.s3, bucket=bucket, key=record.object_key) is None:
        raise UploadNotFound("upload the file to the URL you were given, then confirm it")
    key = confirmed_key(record.customer_id, record.id)
    await s3.copy(services.s3, bucket=bucket, source=record.object_key, key=key)
    stored = await s3.head(services.s3, bucket=bucket, key=key)
    if stored is None:
        raise UploadNotFound("upload the file to the URL you were given, then confirm it")
    head = await s3.read_head(services.s3, bucket=bucket, key=key, length=SNIFF_BYTES)
    reason = mismatch(
        record, size_bytes=stored.size_bytes, content_type=stored.content_type, head=head
    )
    if reason is not None:
        for rejected in (key, record.object_key):
            await s3.delete(services.s3, bucket=bucket, key=rejected)
        await uploads.set_status(record, DocumentStatus.REJECTED, now=now_utc(), reason=reason)
        log.info("document_rejected", document_id=record.id)
        raise UploadRejected(reason)
    confirmed = await uploads.set_status(
        record, DocumentStatus.AVAILABLE, now=now_utc(), object_key=key
    )
    await s3.delete(services.s3, bucket=bucket, key=record.object_key)
    log.info("document_confirmed", document_id=record.id)
    return confirmed


async def confirm(services: Services, actor: Actor, record: DocumentRecord) -> DocumentRecord:
    """``confirm_upload``, with the rejection or the confirmation audited under ``actor``."""
    target = Target(type="document", id=record.id)
    try:
        confirmed = await confirm_upload(services, record)
    except UploadRejected as exc:
        if record.status is DocumentStatus.PENDING:
            await auditing.record(
                actor,
                "document.rejected",
                target,
                now=now_utc(),
                customer_id=record.customer_id,
                before={"status": record.status.value},
                after={"status": DocumentStatus.REJECTED.value, "reason": exc.detail},
            )
        raise
    if confirmed.version != record.version:
        await auditing.record(
            actor,
            "document.confirmed",
            target,
            now=now_utc(),
            customer_id=record.customer_id,
            before={"status": record.status.value},
            after={"status": confirmed.status.value},
        )
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


async def audited_download_url(
    services: Services, actor: Actor, record: DocumentRecord
) -> str | None:
    """A download link for staff: each one issued is access to a customer's papers, audited."""
    url = await download_url(services, record)
    if url is not None:
        await auditing.record(
            actor,
            "document.download_issued",
            Target(type="document", id=record.id),
            now=now_utc(),
            customer_id=record.customer_id,
            seal=False,
        )
    return url


async def customer_document_view(
    services: Services, record: DocumentRecord
) -> CustomerDocumentView:
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


async def owner_of(services: Services, data: StaffDocumentCreate) -> str:
    """The customer a staff upload belongs to: the application's, or the one named (not
    erased)."""
    if data.application_id is None and data.customer_id is None:
        raise InvalidInput(
            "say whose document it is",
            errors=[
                FieldProblem(path="application_id", message="give application_id or customer_id")
            ],
        )
    customer_id = data.customer_id
    if data.application_id is not None:
        application = await services.applications.get(data.application_id)
        if customer_id is not None and customer_id != application.customer_id:
            raise InvalidInput(
                "the application belongs to another customer",
                errors=[FieldProblem(path="customer_id", message="is not the applicant")],
            )
        customer_id = application.customer_id
    assert customer_id is not None
    profile = await customers.get_profile(customer_id)
    if profile.erased_at is not None:
        raise CustomerErased("the customer's personal data has been erased")
    return customer_id
