"""The customer's documents: upload for one of their applications, confirm, download."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ff_api.audit.service import customer_actor
from ff_api.documents import service
from ff_api.documents.schemas import CustomerDocumentView, DocumentCreate, DocumentUpload
from ff_api.security import CustomerPrincipal
from ff_api.services import Services
from ff_shared.domain.documents import Uploader
from ff_shared.stores.mongo import applications, uploads


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
        return await service.request_upload(
            services,
            customer_actor(customer),
            customer_id=customer.customer_id,
            application_id=data.application_id,
            kind=data.kind,
            content_type=data.content_type,
            size_bytes=data.size_bytes,
            method=data.upload_method,
            uploaded_by=Uploader(type="customer", id=customer.customer_id),
        )

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
        confirmed = await service.confirm(services, customer_actor(customer), record)
        return await service.customer_document_view(services, confirmed)

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
        return await service.customer_document_view(services, record)

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
            await service.customer_document_view(services, r)
            for r in await uploads.for_application(application_id)
            if r.customer_id == customer.customer_id
        ]
