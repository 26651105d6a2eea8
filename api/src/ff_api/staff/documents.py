"""Staff routes over documents: upload on a customer's behalf, confirm, and open any document.
Every download link issued to staff is audited: it is access to a customer's papers."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.customer.documents import (
    DocumentUpload,
    UploadMethod,
    confirm_upload,
    create_upload,
    download_url,
    instructions,
)
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_api.staff import auditing
from ff_api.staff.views import DocumentView, document_view
from ff_shared.clock import now_utc
from ff_shared.domain.audit import Target
from ff_shared.domain.documents import DocumentKind, DocumentStatus, Uploader
from ff_shared.errors import CustomerErased, FieldProblem, InvalidInput, UploadRejected
from ff_shared.stores.mongo import customers, review, uploads


class StaffDocumentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    application_id: str | None = None
    """The application the document supports; its customer is the document's owner."""
    customer_id: str | None = None
    """The customer, for a document not tied to one application."""
    kind: DocumentKind
    content_type: Annotated[str, msgspec.Meta(max_length=100, examples=["application/pdf"])]
    size_bytes: Annotated[int, msgspec.Meta(ge=1)]
    upload_method: UploadMethod = "post"


class StaffDocumentView(msgspec.Struct, kw_only=True):
    document: DocumentView
    download_url: str | None
    """A short-lived link, once the document is available."""


class StaffDocumentController(Controller):
    path = "/documents"
    tags = ["staff: documents"]

    @post(
        operation_id="staff_create_document",
        summary="Upload a document to a customer's file (presigned S3 upload)",
        status_code=HTTP_201_CREATED,
        opt={"permission": "documents.upload"},
    )
    async def create(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        data: JSONBody[StaffDocumentCreate],
    ) -> DocumentUpload:
        if data.application_id is None and data.customer_id is None:
            raise InvalidInput(
                "say whose document it is",
                errors=[
                    FieldProblem(
                        path="application_id", message="give application_id or customer_id"
                    )
                ],
            )
        customer_id = data.customer_id
        if data.application_id is not None:
            application = review.record_of(await review.load(data.application_id))
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
        record, upload = await create_upload(
            services,
            customer_id=customer_id,
            application_id=data.application_id,
            kind=data.kind,
            content_type=data.content_type,
            size_bytes=data.size_bytes,
            method=data.upload_method,
            uploaded_by=Uploader(type="staff", id=staff.staff_id, username=staff.username),
        )
        await auditing.record(
            staff,
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

    @post(
        "/{document_id:str}/confirm",
        operation_id="staff_confirm_document",
        summary="Check an upload arrived as declared; it then becomes available",
        status_code=HTTP_200_OK,
        opt={"permission": "documents.upload"},
    )
    async def confirm(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        document_id: FromPath[str],
    ) -> StaffDocumentView:
        record = await uploads.get(document_id)
        target = Target(type="document", id=record.id)
        try:
            confirmed = await confirm_upload(services, record)
        except UploadRejected as exc:
            if record.status is DocumentStatus.PENDING:
                await auditing.record(
                    staff,
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
                staff,
                "document.confirmed",
                target,
                now=now_utc(),
                customer_id=record.customer_id,
                before={"status": record.status.value},
                after={"status": confirmed.status.value},
            )
        return StaffDocumentView(
            document=document_view(confirmed), download_url=await download_url(services, confirmed)
        )

    @get(
        "/{document_id:str}",
        operation_id="staff_get_document",
        summary="One document with a short-lived download link (the access is audited)",
        opt={"permission": "documents.read"},
    )
    async def get_one(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        document_id: FromPath[str],
    ) -> StaffDocumentView:
        record = await uploads.get(document_id)
        url = await download_url(services, record)
        if url is not None:
            await auditing.record(
                staff,
                "document.download_issued",
                Target(type="document", id=record.id),
                now=now_utc(),
                customer_id=record.customer_id,
                seal=False,
            )
        return StaffDocumentView(document=document_view(record), download_url=url)
