"""The audit trail: who did what to which record, with the values before and after.

Entries are only ever appended. Values about a customer are sealed with that customer's own key
when stored, so erasing the customer destroys the key and leaves every entry in place, unreadable
where it held personal data (crypto-shredding) — the log itself is never edited.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec


class ActorType(enum.StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    SYSTEM = "system"


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    type: ActorType
    id: str
    username: str | None = None
    """Staff logins only: a customer's login is their e-mail address, personal data."""
    roles: tuple[str, ...] = ()


class Target(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    id: str


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    at: datetime
    actor: Actor
    action: str
    target: Target
    customer_id: str | None = None
    """The customer the entry is about, whose key seals ``before`` and ``after``."""
    request_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    sealed: bool = False
    """``before``/``after`` are stored sealed with the customer's key."""
    erased: bool = False
    """The customer was erased: the sealed values can no longer be read."""


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], keys: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the ``keys`` whose values differ, as two dicts (before, after)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key in keys:
        if before.get(key) != after.get(key):
            old[key] = before.get(key)
            new[key] = after.get(key)
    return old, new
