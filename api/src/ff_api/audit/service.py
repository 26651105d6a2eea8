"""Writing the audit trail from a request: who (staff with their roles, or a customer by id
only: their login is personal), which request, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from ff_api import pagination
from ff_api.audit.schemas import AuditPage, audit_view
from ff_api.security import CustomerPrincipal, StaffPrincipal
from ff_shared.domain.audit import Actor, ActorType, AuditEvent, Target
from ff_shared.domain.review import StaffRef
from ff_shared.errors import FieldProblem, InvalidInput
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


def customer_actor(customer: CustomerPrincipal) -> Actor:
    return Actor(type=ActorType.CUSTOMER, id=customer.customer_id)


def current_request_id() -> str | None:
    """The request id the middleware bound for this request's logs."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


async def record(
    actor: Actor,
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
        actor=actor,
        action=action,
        target=target,
        now=now,
        customer_id=customer_id,
        request_id=current_request_id(),
        before=before,
        after=after,
        seal=seal,
    )


async def record_staff(
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
    return await record(
        staff_actor(staff),
        action,
        target,
        now=now,
        customer_id=customer_id,
        before=before,
        after=after,
        seal=seal,
    )


async def record_customer(
    customer: CustomerPrincipal,
    action: str,
    target: Target,
    *,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    return await record(
        customer_actor(customer),
        action,
        target,
        now=now,
        customer_id=customer.customer_id,
        before=before,
        after=after,
    )


def aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(
            f"{name} needs a time zone",
            errors=[FieldProblem(path=name, message="must include a UTC offset, e.g. Z")],
        )
    return value


async def query(
    *,
    actor: str | None,
    target: str | None,
    action: str | None,
    at_from: datetime | None,
    at_to: datetime | None,
    cursor: str | None,
    limit: int,
) -> AuditPage:
    """Entries newest first, a page at a time."""
    events = await audit.query(
        actor_id=actor,
        target_id=target,
        action=action,
        at_from=aware("from", at_from),
        at_to=aware("to", at_to),
        before_id=pagination.id_after(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = events[:limit]
    return AuditPage(
        items=[audit_view(e) for e in page],
        next_cursor=pagination.id_cursor(page[-1].id) if len(events) > limit else None,
    )
