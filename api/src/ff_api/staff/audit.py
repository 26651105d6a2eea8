"""The audit log for admins: read-only. There is no route, and no store function, that edits or
deletes an entry."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from ff_api.security import StaffPrincipal
from ff_api.staff.views import AuditPage, audit_view
from ff_shared.errors import FieldProblem, InvalidInput
from ff_shared.stores.mongo import audit


def _cursor(event_id: str) -> str:
    return base64.urlsafe_b64encode(event_id.encode()).decode().rstrip("=")


def _before(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        uuid.UUID(value)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "the cursor is not one this API issued",
            errors=[FieldProblem(path="cursor", message="is not a valid cursor")],
        ) from exc
    return value


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(
            f"{name} needs a time zone",
            errors=[FieldProblem(path=name, message="must include a UTC offset, e.g. Z")],
        )
    return value


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
        events = await audit.query(
            actor_id=actor,
            target_id=target,
            action=action,
            at_from=_aware("from", at_from),
            at_to=_aware("to", at_to),
            before_id=_before(cursor) if cursor else None,
            limit=limit + 1,
        )
        page = events[:limit]
        return AuditPage(
            items=[audit_view(e) for e in page],
            next_cursor=_cursor(page[-1].id) if len(events) > limit else None,
        )
