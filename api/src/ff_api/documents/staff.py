"""Staff routes over documents: upload on a customer's behalf, confirm, and open any document.
Every download link issued to staff is audited: it is access to a customer's papers."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.audit.service import staff_actor
from ff_api.documents import service
from ff_api.documents.schemas import (
    DocumentUpload,
    StaffDocumentCreate,
    StaffDocumentView,
    document_view,
)
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.domain.documents import Uploader
from ff_shared.stores.mongo import uploads


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
        customer_id = await service.owner_of(data)
        return await service.request_upload(
            services,
            staff_actor(staff),
            customer_id=customer_id,
            application_id=data.application_id,
            kind=data.kind,
            content_type=data.content_type,
            size_bytes=data.size_bytes,
            method=data.upload_method,
            uploaded_by=Uploader(type="staff", id=staff.staff_id, username=staff.username),
        )

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
        confirmed = await service.confirm(services, staff_actor(staff), record)
        return StaffDocumentView(
            document=document_view(confirmed),
            download_url=await service.download_url(services, confirmed),
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
        url = await service.audited_download_url(services, staff_actor(staff), record)
        return StaffDocumentView(document=document_view(record), download_url=url)
