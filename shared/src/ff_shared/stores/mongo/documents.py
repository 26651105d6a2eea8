"""Beanie document models. Only the stores module reads or writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from beanie import Document
from pydantic import Field


class ApplicationDocument(Document):
    id: str  # type: ignore[assignment]
    reference: str
    customer_id: str
    status: str
    version: int = 1
    steps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    decision: dict[str, Any] | None = None
    submit_idempotency_key: str | None = None

    class Settings:
        name = "applications"
        indexes = [
            pymongo.IndexModel(
                [("customer_id", pymongo.ASCENDING), ("created_at", pymongo.DESCENDING)]
            ),
            pymongo.IndexModel([("reference", pymongo.ASCENDING)], unique=True),
            pymongo.IndexModel(
                [("status", pymongo.ASCENDING), ("submitted_at", pymongo.DESCENDING)]
            ),
        ]


class CustomerDocument(Document):
    id: str  # type: ignore[assignment]
    email: str | None = None
    preferred_name: str | None = None
    mobile: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    version: int = 1
    created_at: datetime
    updated_at: datetime

    class Settings:
        name = "customers"


class AuditEventDocument(Document):
    """An audit entry. Written once by ``stores.mongo.audit.append``; nothing updates it."""

    id: str  # type: ignore[assignment]
    at: datetime
    actor: dict[str, Any]
    action: str
    target: dict[str, str]
    customer_id: str | None = None
    request_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    sealed: bytes | None = None
    seq: int | None = None
    """Position in the hash chain (1, 2, ...)."""
    prev_hash: str | None = None
    hash: str | None = None
    """SHA-256 over the entry's fields and ``prev_hash`` (``ff_shared.domain.audit.entry_hash``)."""

    class Settings:
        name = "audit_events"
        indexes = [
            pymongo.IndexModel([("seq", pymongo.ASCENDING)]),
            # Single-field: the embedded MongoDB stand-in cannot have `_id` in a compound index.
            pymongo.IndexModel([("target.id", pymongo.ASCENDING)]),
            pymongo.IndexModel([("actor.id", pymongo.ASCENDING)]),
            pymongo.IndexModel([("action", pymongo.ASCENDING)]),
            pymongo.IndexModel([("customer_id", pymongo.ASCENDING)]),
            pymongo.IndexModel([("at", pymongo.DESCENDING)]),
        ]


class AuditChainDocument(Document):
    """The head of the audit log's hash chain: the last entry's position and hash."""

    id: str  # type: ignore[assignment]
    seq: int
    hash: str

    class Settings:
        name = "audit_chain"


class DataKeyDocument(Document):
    """A customer's own data key, sealing audit values about them; erasure deletes it. Only the
    copy wrapped by KMS is stored."""

    id: str  # type: ignore[assignment]
    wrapped_key: bytes
    created_at: datetime

    class Settings:
        name = "data_keys"


class UploadedDocument(Document):
    id: str  # type: ignore[assignment]
    customer_id: str
    application_id: str | None = None
    kind: str
    content_type: str
    size_bytes: int
    status: str
    object_key: str
    uploaded_by: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None = None
    rejected_reason: str | None = None
    version: int = 1

    class Settings:
        name = "documents"
        indexes = [
            pymongo.IndexModel([("customer_id", pymongo.ASCENDING)]),
            pymongo.IndexModel([("application_id", pymongo.ASCENDING)]),
        ]


class NoteDocument(Document):
    id: str  # type: ignore[assignment]
    customer_id: str
    application_id: str | None = None
    author: dict[str, str]
    text: str
    created_at: datetime
    erased_at: datetime | None = None

    class Settings:
        name = "notes"
        indexes = [
            pymongo.IndexModel([("customer_id", pymongo.ASCENDING)]),
            pymongo.IndexModel([("application_id", pymongo.ASCENDING)]),
        ]


class EmailLogDocument(Document):
    """One customer e-mail sent: which event it was about, never its text or address."""

    id: str  # type: ignore[assignment]
    application_id: str
    kind: str
    message_id: str | None = None
    sent_at: datetime | None = None

    class Settings:
        name = "email_log"
        indexes = [pymongo.IndexModel([("application_id", pymongo.ASCENDING)])]
