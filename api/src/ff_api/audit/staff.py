"""The audit log for admins: read-only. There is no route, and no store function, that edits or
deletes an entry; a check re-computes the hash chain to find any change made behind the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from ff_api.audit import service
from ff_api.audit.schemas import AuditPage
from ff_api.security import StaffPrincipal
from ff_shared.domain.audit import ChainCheck
from ff_shared.stores.mongo import audit


class StaffAuditController(Controller):
    path = "/audit"
    tags = ["staff: audit"]

    @get(
        operation_id="staff_query_audit",
        summary="Audit entries, newest first, filtered by actor, target, action and time",
        opt={"permission": "audit.read"},
    )
    async def query(
        self,
        staff: NamedDependency[StaffPrincipal],
        actor: Annotated[str | None, QueryParameter(description="The actor's id")] = None,
        target: Annotated[str | None, QueryParameter(description="The target record's id")] = None,
        action: Annotated[
            str | None, QueryParameter(description="e.g. application.approved")
        ] = None,
        at_from: Annotated[
            datetime | None, QueryParameter(name="from", description="Inclusive")
        ] = None,
        at_to: Annotated[
            datetime | None, QueryParameter(name="to", description="Exclusive")
        ] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the last page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> AuditPage:
        return await service.query(
            actor=actor,
            target=target,
            action=action,
            at_from=at_from,
            at_to=at_to,
            cursor=cursor,
            limit=limit,
        )

    @get(
        "/verify",
        operation_id="staff_verify_audit",
        summary="Re-compute the audit log's hash chain: intact, or where it was changed",
        opt={"permission": "audit.read"},
    )
    async def verify(self, staff: NamedDependency[StaffPrincipal]) -> ChainCheck:
        return await audit.verify_chain()
