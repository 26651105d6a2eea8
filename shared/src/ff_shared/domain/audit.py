"""The audit trail: who did what to which record, with the values before and after.

Entries are only ever appended. Values about a customer are sealed with that customer's own key
when stored, so erasing the customer destroys the key and leaves every entry in place, unreadable
where it held personal data (crypto-shredding) — the log itself is never edited.

Entries are hash-chained: each stores its position, the hash of the entry before it and its own
hash over all its fields, so editing, removing or inserting an entry in the database directly
is found by re-computing the chain (:class:`ChainWalk`).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
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


GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first entry in the chain."""

CHAINED_FIELDS = (
    "_id",
    "seq",
    "prev_hash",
    "at",
    "actor",
    "action",
    "target",
    "customer_id",
    "request_id",
    "before",
    "after",
    "sealed",
)
"""Every stored field of an entry that its hash covers (all but the hash itself)."""


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return {"$ms": int(aware.timestamp() * 1000)}
    if isinstance(value, bytes | bytearray):
        return {"$hex": bytes(value).hex()}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def entry_hash(stored: Mapping[str, Any]) -> str:
    """SHA-256 of an entry as stored (times to the millisecond, as MongoDB keeps them): any change
    to a field, or to the link to the entry before, changes it."""
    canonical = {name: _canonical(stored.get(name)) for name in CHAINED_FIELDS}
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def to_millisecond(at: datetime) -> datetime:
    """``at`` as MongoDB will give it back."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class ChainProblem(msgspec.Struct, frozen=True, kw_only=True):
    entry_id: str | None
    seq: int | None
    problem: str


class ChainCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of re-computing the whole chain."""

    intact: bool
    entries: int
    head_seq: int
    unchained: int
    """Entries written before the log was chained (all older than its first chained entry)."""
    problems: list[ChainProblem]
    """The first problems found (at most ``MAX_PROBLEMS``)."""


MAX_PROBLEMS = 50


class ChainWalk:
    """Checks entries in chain order, one at a time, against the hashes they carry."""

    def __init__(self) -> None:
        self.expected_seq = 1
        self.previous = GENESIS_HASH
        self.entries = 0
        self.unchained: list[str] = []
        self.first_chained: str | None = None
        self.problems: list[ChainProblem] = []

    def _problem(self, stored: Mapping[str, Any] | None, seq: int | None, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            entry_id = None if stored is None else str(stored.get("_id"))
            self.problems.append(ChainProblem(entry_id=entry_id, seq=seq, problem=text))

    def add(self, stored: Mapping[str, Any]) -> None:
        self.entries += 1
        seq = stored.get("seq")
        if not isinstance(seq, int):
            # Written before the log was chained: fine if older than the chain (see finish).
            self.unchained.append(str(stored.get("_id")))
            return
        if self.first_chained is None:
            self.first_chained = str(stored.get("_id"))
        if seq > self.expected_seq:
            self._problem(stored, seq, f"entries {self.expected_seq}..{seq - 1} are missing")
        elif seq < self.expected_seq:
            self._problem(stored, seq, "a second entry claims this position")
        if stored.get("prev_hash") != self.previous:
            self._problem(stored, seq, "the link to the entry before does not match")
        if entry_hash(stored) != stored.get("hash"):
            self._problem(stored, seq, "the entry was altered after it was written")
        self.previous = str(stored.get("hash"))
        self.expected_seq = seq + 1

    def finish(self, head_seq: int, head_hash: str | None) -> ChainCheck:
        for entry_id in self.unchained:
            # Ids sort by time: an unchained entry newer than the chain was put there since.
            if self.first_chained is not None and entry_id > self.first_chained:
                self._problem(
                    {"_id": entry_id}, None, "entry is newer than the chain but not in it"
                )
        last = self.expected_seq - 1
        if head_seq > last:
            self._problem(None, head_seq, f"entries {last + 1}..{head_seq} are missing")
        elif head_seq and head_hash != self.previous:
            self._problem(None, head_seq, "the last entry does not match the chain's head")
        return ChainCheck(
            intact=not self.problems,
            entries=self.entries,
            head_seq=head_seq,
            unchained=len(self.unchained),
            problems=self.problems,
        )
