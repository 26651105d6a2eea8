"""Staff-portal bodies for the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ff_shared.domain.audit import AuditEvent


class AuditEntryView(msgspec.Struct, kw_only=True):
    id: str
    at: datetime
    actor: dict[str, Any]
    action: str
    target: dict[str, str]
    customer_id: str | None
    request_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    sealed: bool
    erased: bool
    """The customer was erased: the values this entry held about them are gone for good."""


class AuditPage(msgspec.Struct, kw_only=True):
    items: list[AuditEntryView]
    next_cursor: str | None


def audit_view(event: AuditEvent) -> AuditEntryView:
    return AuditEntryView(
        id=event.id,
        at=event.at,
        actor=msgspec.to_builtins(event.actor),
        action=event.action,
        target=msgspec.to_builtins(event.target),
        customer_id=event.customer_id,
        request_id=event.request_id,
        before=event.before,
        after=event.after,
        sealed=event.sealed,
        erased=event.erased,
    )
