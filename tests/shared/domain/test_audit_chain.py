"""The audit log's hash chain, entry by entry: what the check finds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ff_shared.domain.audit import GENESIS_HASH, ChainCheck, ChainWalk, entry_hash


def _chain(count: int, first_id: int = 100) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    previous = GENESIS_HASH
    for n in range(1, count + 1):
        entry: dict[str, Any] = {
            "_id": f"id-{first_id + n:04d}",
            "seq": n,
            "prev_hash": previous,
            "at": datetime(2026, 12, 1, 9, n, tzinfo=UTC),
            "actor": {"type": "staff", "id": "s1"},
            "action": "application.assigned",
            "target": {"type": "application", "id": f"a{n}"},
            "customer_id": "c1",
            "sealed": b"\x00\x01",
        }
        entry["hash"] = entry_hash(entry)
        previous = entry["hash"]
        entries.append(entry)
    return entries


def _check(entries: list[dict[str, Any]], head_seq: int, head_hash: str | None) -> ChainCheck:
    walk = ChainWalk()
    for entry in entries:
        walk.add(entry)
    return walk.finish(head_seq, head_hash)


def test_an_untouched_chain_with_older_unchained_entries_is_intact() -> None:
    entries = _chain(3)
    legacy = {"_id": "id-0001", "action": "customer.updated"}
    check = _check([legacy, *entries], 3, entries[-1]["hash"])
    assert check.intact, check.problems
    assert (check.entries, check.unchained, check.head_seq) == (4, 1, 3)


def test_naive_and_aware_times_hash_alike_as_mongodb_returns_either() -> None:
    [entry] = _chain(1)
    naive = {**entry, "at": entry["at"].replace(tzinfo=None)}
    assert entry_hash(naive) == entry_hash(entry)


def test_edits_removals_insertions_and_truncation_are_each_found() -> None:
    entries = _chain(4)
    altered = [*entries[:1], {**entries[1], "action": "application.approved"}, *entries[2:]]
    assert [p.problem for p in _check(altered, 4, entries[-1]["hash"]).problems] == [
        "the entry was altered after it was written"
    ]
    removed = [entries[0], *entries[2:]]
    problems = _check(removed, 4, entries[-1]["hash"]).problems
    assert problems[0].problem == "entries 2..2 are missing"
    truncated = _check(entries[:3], 4, entries[-1]["hash"])
    assert [p.problem for p in truncated.problems] == ["entries 4..4 are missing"]
    forged = {"_id": "id-9999", "action": "customer.erased"}
    late = _check([forged, *entries], 4, entries[-1]["hash"])
    assert [p.entry_id for p in late.problems] == ["id-9999"]
