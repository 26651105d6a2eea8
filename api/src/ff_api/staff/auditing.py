"""Writing the audit trail from a staff request: who (with roles), which request, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from ff_api.security import StaffPrincipal
from ff_shared.domain.audit import Actor, ActorType, AuditEvent, Target
from ff_shared.domain.review import StaffRef
from ff_shared.stores.mongo import audit


def staff_ref(staff: StaffPrincipal) -> StaffRef:
    return StaffRef(id=staff.staff_id, username=staff.username)


def staff_actor(staff: StaffPrincipal) -> Actor:
    return Actor(
        type=ActorType.STAFF,
        id=staff.staff_id,
        username=staff.username,
        roles=tuple(sorted(r.value for r in staff.roles)),
    )


def current_request_id() -> str | None:
    """The request id the middleware bound for this request's logs."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


async def record(
    staff: StaffPrincipal,
    action: str,
    target: Target,
    *,
    now: datetime,
    customer_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    seal: bool = True,
) -> AuditEvent:
    return await audit.append(
        actor=staff_actor(staff),
        action=action,
        target=target,
        now=now,
        customer_id=customer_id,
        request_id=current_request_id(),
        before=before,
        after=after,
        seal=seal,
    )
