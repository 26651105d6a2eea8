"""Paging: opaque cursors (what a list route hands back as ``next_cursor`` and reads again),
and the offset/limit query parameters.

A cursor is URL-safe base64 without padding, so it travels in a query string untouched; a
cursor this API did not issue is a 400 problem on the ``cursor`` field, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated

from litestar.params import QueryParameter

from ff_shared.errors import FieldProblem, InvalidInput

Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000, description="Items to skip")]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size")]
"""Offset paging, where the source pages by position (the loan's transactions)."""


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> bytes:
    """The bytes of ``cursor``; raises ``binascii.Error`` when it is not URL-safe base64."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def invalid_cursor(
    detail: str = "the cursor is not one this API issued",
    message: str = "is not a valid cursor",
) -> InvalidInput:
    return InvalidInput(detail, errors=[FieldProblem(path="cursor", message=message)])


def id_cursor(last_id: str) -> str:
    """The cursor after the record with id ``last_id``."""
    return encode(last_id.encode())


def id_after(cursor: str, *, uuid_ids: bool = True) -> str:
    """The id an ``id_cursor`` holds; with ``uuid_ids`` it must also be a UUID."""
    try:
        last_id = decode(cursor).decode()
        if uuid_ids:
            uuid.UUID(last_id)
    except (binascii.Error, ValueError) as exc:
        raise invalid_cursor() from exc
    return last_id
