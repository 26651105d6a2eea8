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
