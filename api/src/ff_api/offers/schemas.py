"""Bodies for the customer's answers to an offer or to a request for information."""

from __future__ import annotations

from typing import Annotated

import msgspec


class InformationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")] | None = (
        None
    )
    """Anything the reviewer should know; documents are uploaded separately (/v1/documents)."""
