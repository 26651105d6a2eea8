"""The audit log: append and read, nothing else.

This module is the only code that touches the ``audit_events`` collection, and it has no update,
replace or delete: an entry, once written, stays as written. ``before``/``after`` values of an
entry about a customer are stored sealed with that customer's key (see ``data_keys``).

Each entry takes the next position in the hash chain: the chain's head (``audit_chain``) is moved
on by compare-and-set, then the entry is inserted with the head's previous hash as its link.
:func:`verify_chain` re-computes every hash.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from pymongo.errors import DuplicateKeyError

from ff_shared.domain.audit import (
    GENESIS_HASH,
    Actor,
    AuditEvent,
    ChainCheck,
    ChainWalk,
    Target,
    entry_hash,
    to_millisecond,
)
from ff_shared.stores.mongo import data_keys
from ff_shared.stores.mongo.applications import new_id
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import AuditChainDocument, AuditEventDocument

HEAD = "head"
CHAIN_TRIES = 500


class ChainBusy(Exception):
    """The chain's head kept moving under this writer (never expected in practice)."""


def _collection() -> Any:
    return collection(AuditEventDocument)


def _chain() -> Any:
    return collection(AuditChainDocument)


async def _link(document: dict[str, Any]) -> None:
    """Take the next position in the chain for ``document`` and set its link and hash."""
    for _ in range(CHAIN_TRIES):
        head = await _chain().find_one({"_id": HEAD})
        seq = 1 if head is None else int(head["seq"]) + 1
        document["seq"] = seq
        document["prev_hash"] = GENESIS_HASH if head is None else head["hash"]
        document["hash"] = entry_hash(document)
        if head is None:
            try:
                await _chain().insert_one({"_id": HEAD, "seq": seq, "hash": document["hash"]})
            except DuplicateKeyError:
                continue
            return
        moved = await _chain().update_one(
            {"_id": HEAD, "seq": head["seq"], "hash": head["hash"]},
            {"$set": {"seq": seq, "hash": document["hash"]}},
        )
        if moved.modified_count == 1:
            return
        # Another writer took the position: try again after a moment, spread out.
        await asyncio.sleep(random.uniform(0, 0.002))
    raise ChainBusy("the audit chain's head kept moving")


def _context(event_id: str) -> str:
    return f"audit:{event_id}"


async def append(
    *,
    actor: Actor,
    action: str,
    target: Target,
    now: datetime,
    customer_id: str | None = None,
    request_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    seal: bool = True,
) -> AuditEvent:
    """Write one entry. With a ``customer_id`` (and ``seal``), the values are sealed with the
    customer's key; pass ``seal=False`` only for values that say nothing about the person."""
    event_id = new_id()
    now = to_millisecond(now)
    document: dict[str, Any] = {
        "_id": event_id,
        "at": now,
        "actor": msgspec.to_builtins(actor),
        "action": action,
        "target": msgspec.to_builtins(target),
        "customer_id": customer_id,
        "request_id": request_id,
        "before": None,
        "after": None,
        "sealed": None,
    }
    values = {"before": before, "after": after}
    sealed = customer_id is not None and seal and (before is not None or after is not None)
    if sealed:
        assert customer_id is not None
        key = await data_keys.key_for(customer_id, now=now)
        document["sealed"] = data_keys.seal(
            key, msgspec.json.encode(values), context=_context(event_id)
        )
    else:
        document.update(msgspec.to_builtins(values))
    await _link(document)
    await _collection().insert_one(document)
    return AuditEvent(
        id=event_id,
        at=now,
        actor=actor,
        action=action,
        target=target,
        customer_id=customer_id,
        request_id=request_id,
        before=before,
        after=after,
        sealed=sealed,
    )


async def _events(raws: Iterable[dict[str, Any]]) -> list[AuditEvent]:
    keys: dict[str, bytes | None] = {}
    events: list[AuditEvent] = []
    for raw in raws:
        before, after = raw.get("before"), raw.get("after")
        erased = False
        sealed_value = raw.get("sealed")
        if sealed_value is not None:
            customer_id = str(raw["customer_id"])
            if customer_id not in keys:
                keys[customer_id] = await data_keys.existing_key(customer_id)
            try:
                values = msgspec.json.decode(
                    data_keys.unseal(
                        keys[customer_id], bytes(sealed_value), context=_context(raw["_id"])
                    )
                )
                before, after = values.get("before"), values.get("after")
            except data_keys.KeyDestroyed:
                before = after = None
                erased = True
        events.append(
            AuditEvent(
                id=raw["_id"],
                at=raw["at"],
                actor=msgspec.convert(raw["actor"], Actor),
                action=raw["action"],
                target=msgspec.convert(raw["target"], Target),
                customer_id=raw.get("customer_id"),
                request_id=raw.get("request_id"),
                before=before,
                after=after,
                sealed=sealed_value is not None,
                erased=erased,
            )
        )
    return events


async def query(
    *,
    actor_id: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    customer_id: str | None = None,
    at_from: datetime | None = None,
    at_to: datetime | None = None,
    before_id: str | None = None,
    limit: int = 50,
    oldest_first: bool = False,
) -> list[AuditEvent]:
    """Entries matching every filter given, newest first (ids sort by time), after a cursor."""
    match: dict[str, Any] = {}
    if actor_id is not None:
        match["actor.id"] = actor_id
    if target_id is not None:
        match["target.id"] = target_id
    if action is not None:
        match["action"] = action
    if customer_id is not None:
        match["customer_id"] = customer_id
    if at_from is not None or at_to is not None:
        window: dict[str, datetime] = {}
        if at_from is not None:
            window["$gte"] = at_from
        if at_to is not None:
            window["$lt"] = at_to
        match["at"] = window
    if before_id is not None:
        match["_id"] = {"$gt" if oldest_first else "$lt": before_id}
    order = 1 if oldest_first else -1
    cursor = _collection().find(match).sort([("_id", order)]).limit(limit)
    return await _events([raw async for raw in cursor])


async def verify_chain() -> ChainCheck:
    """Re-compute every entry's hash and link in chain order, and the head against the last."""
    walk = ChainWalk()
    async for raw in _collection().find({}).sort([("seq", 1)]):
        walk.add(raw)
    head = await _chain().find_one({"_id": HEAD})
    return walk.finish(
        0 if head is None else int(head["seq"]), None if head is None else head["hash"]
    )
