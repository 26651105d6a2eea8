"""Optimistic concurrency for MongoDB documents that carry a ``version``.

Every change is read → change in memory → ``replace_one`` conditioned on the version that was
read, so a concurrent writer's change is never overwritten (the loser sees ``StaleVersion`` or,
when the caller allows it, re-reads and re-applies its change). Whole-document replacement also
keeps BSON dates as dates on every server (the embedded stand-in stores ``$set`` dates as text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ff_shared.errors import NotFound, StaleVersion

Document = dict[str, Any]


async def replace_if_version(collection: Any, document: Document, expected_version: int) -> bool:
    """Write ``document`` (with its version bumped) only if the stored one is still at
    ``expected_version``; False when someone else wrote first."""
    document["version"] = expected_version + 1
    result = await collection.replace_one(
        {"_id": document["_id"], "version": expected_version}, document
    )
    return bool(result.matched_count == 1)


async def update_versioned(
    collection: Any,
    query: Document,
    change: Callable[[Document], None],
    *,
    expected_version: int | None,
    attempts: int = 5,
    what: str = "record",
) -> Document:
    """Apply ``change`` to the document ``query`` finds.

    With ``expected_version`` the caller asserts what it saw: any other stored version is a
    ``StaleVersion``. Without it, a concurrent write makes this re-read and re-apply ``change``.
    ``change`` may raise a domain error after inspecting the current document.
    """
    for _ in range(attempts):
        current = await collection.find_one(query)
        if current is None:
            raise NotFound(f"no such {what}")
        version = int(current.get("version", 1))
        if expected_version is not None and version != expected_version:
            raise StaleVersion(f"the {what} is at version {version}, not {expected_version}")
        change(current)
        if await replace_if_version(collection, current, version):
            return dict(current)
        if expected_version is not None:
            latest = await collection.find_one(query)
            latest_version = None if latest is None else latest.get("version")
            raise StaleVersion(f"the {what} is at version {latest_version}, not {expected_version}")
    raise StaleVersion(f"the {what} is changing too often to save; try again")
