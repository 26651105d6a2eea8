"""Verifying a restored loan book: each check's outcome, and whether they add up to verified."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum

import msgspec


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    outcome: CheckOutcome
    detail: str


def verified(results: Iterable[CheckResult]) -> bool:
    items = list(results)
    return bool(items) and all(r.outcome != CheckOutcome.FAILED for r in items)


def check_required_tables(required: Sequence[str], present: Iterable[str]) -> CheckResult:
    have = {t.lower() for t in present}
    missing = [t for t in required if t.lower() not in have]
    if missing:
        return CheckResult(
            name="required_tables",
            outcome=CheckOutcome.FAILED,
            detail=f"missing: {', '.join(missing)}",
        )
    return CheckResult(
        name="required_tables",
        outcome=CheckOutcome.PASSED,
        detail=f"all {len(required)} present",
    )


def check_row_counts(
    previous: Mapping[str, int] | None, current: Mapping[str, int], tolerance_percent: float
) -> CheckResult:
    """Each table's count within ``tolerance_percent`` of the previous restore's; a table empty
    now that had rows before always fails. The first restore has nothing to compare with."""
    if not previous:
        return CheckResult(
            name="row_counts",
            outcome=CheckOutcome.NOT_APPLICABLE,
            detail="no previous restore to compare with",
        )
    problems: list[str] = []
    for table, now in sorted(current.items()):
        before = previous.get(table)
        if before is None:
            continue
        if before == 0:
            continue
        change = abs(now - before) * 100.0 / before
        if now == 0 or change > tolerance_percent:
            problems.append(f"{table} {before} -> {now} ({change:.1f}%)")
    if problems:
        return CheckResult(
            name="row_counts",
            outcome=CheckOutcome.FAILED,
            detail=f"beyond {tolerance_percent:g}%: " + "; ".join(problems),
        )
    return CheckResult(
        name="row_counts",
        outcome=CheckOutcome.PASSED,
        detail=f"within {tolerance_percent:g}% of the previous restore",
    )


def check_freshness(newest: date | None, today: date, max_age_days: int) -> CheckResult:
    if newest is None:
        return CheckResult(
            name="newest_transaction", outcome=CheckOutcome.FAILED, detail="no transactions"
        )
    age = (today - newest).days
    if age > max_age_days:
        return CheckResult(
            name="newest_transaction",
            outcome=CheckOutcome.FAILED,
            detail=f"newest is {newest.isoformat()}, {age} days old (limit {max_age_days})",
        )
    return CheckResult(
        name="newest_transaction",
        outcome=CheckOutcome.PASSED,
        detail=f"newest is {newest.isoformat()} ({age} days old)",
    )
