"""Audit entries for what customers do themselves: named by id only (their login is personal)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from ff_api.security import CustomerPrincipal
from ff_shared.domain.audit import Actor, ActorType, AuditEvent, Target
from ff_shared.stores.mongo import audit


def customer_actor(customer: CustomerPrincipal) -> Actor:
    return Actor(type=ActorType.CUSTOMER, id=customer.customer_id)


async def record(
    customer: CustomerPrincipal,
    action: str,
    target: Target,
    *,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return await audit.append(
        actor=customer_actor(customer),
        action=action,
        target=target,
        now=now,
        customer_id=customer.customer_id,
        request_id=request_id if isinstance(request_id, str) else None,
        before=before,
        after=after,
    )
