"""Stored application documents and records, their ids, and what a write sets.

A version write (something a customer or reviewer can see and act on) sets only the fields it
changed, with ``updated_at`` moved alongside the version; it never writes the integrations'
bookkeeping (``crm``, ``lms``, an in-progress consent's polled state), which is written
without a version. So neither kind of write undoes the other.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import datetime
from typing import Any

import msgspec

from ff_shared.clock import now_utc
from ff_shared.domain.open_banking import IN_PROGRESS
from ff_shared.domain.records import ApplicationRecord

Document = dict[str, Any]

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REVISION = "revision"
"""Counts every write, bookkeeping included: what a write is conditioned on."""

BOOKKEEPING = frozenset({"crm", "lms"})
"""Fields only the integrations' bookkeeping writes (never a version write)."""
_CONSENT_PROGRESS = ("state", "last_error", "updated_at")
POLLED = frozenset(state.value for state in IN_PROGRESS)


def builtins(value: msgspec.Struct) -> Any:
    return msgspec.to_builtins(value, builtin_types=(datetime,))


def _consent_moved(stored: Any, written: Any) -> bool:
    """Whether a version write changes the consent beyond its polled progress."""
    if not isinstance(stored, dict) or not isinstance(written, dict):
        return bool(stored != written)
    if stored.get("state") not in POLLED:
        return stored != written
    rest = {k: v for k, v in written.items() if k not in _CONSENT_PROGRESS}
    kept = {k: v for k, v in stored.items() if k not in _CONSENT_PROGRESS}
    return rest != kept or written.get("state") not in POLLED


def version_changes(stored: Document, document: Document) -> Document:
    """What a version write sets: the fields it changed, never the bookkeeping, and
    ``updated_at`` moved with the version."""
    changes = {
        k: v
        for k, v in document.items()
        if k not in BOOKKEEPING and k not in ("_id", "version") and stored.get(k) != v
    }
    if "open_banking" in changes and not _consent_moved(
        stored.get("open_banking"), changes["open_banking"]
    ):
        del changes["open_banking"]
    if changes.get("updated_at") is None:
        changes["updated_at"] = now_utc()
    return changes


def record_from_document(document: Document) -> ApplicationRecord:
    """The stored document as the domain sees it."""
    fields = dict(document)
    fields["id"] = fields.pop("_id")
    fields.pop("revision_id", None)
    fields.pop(REVISION, None)
    return msgspec.convert(fields, ApplicationRecord)


def document_from_record(record: ApplicationRecord) -> Document:
    """The record as stored; datetimes stay datetimes (BSON dates)."""
    fields: Document = msgspec.to_builtins(record, builtin_types=(datetime,))
    fields["_id"] = fields.pop("id")
    return fields


def new_id() -> str:
    """A UUIDv7: ids sort in creation order, so pages can be cut on the id alone."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def new_reference() -> str:
    """A short reference a customer can read over the phone (no 0/O or 1/I)."""
    return "FF-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
