"""The request headers several routes read: ``If-Match`` (optimistic concurrency on an
application) and ``Idempotency-Key`` (a repeat never acts twice)."""

from __future__ import annotations

import re

from ff_shared.errors import FieldProblem, InvalidInput

_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def if_match_version(if_match: str | None) -> int | None:
    """The application version an ``If-Match`` ETag names; None for no header or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise InvalidInput(
            'If-Match must be the ETag of the application, e.g. "3"',
            errors=[FieldProblem(path="header.If-Match", message="is not a version ETag")],
        )
    return int(match.group(1))


def checked_idempotency_key(value: str) -> str:
    if not IDEMPOTENCY_KEY.match(value):
        raise InvalidInput(
            "Idempotency-Key must be 8 to 128 letters, digits or ._:-",
            errors=[FieldProblem(path="header.Idempotency-Key", message="is not a valid key")],
        )
    return value
