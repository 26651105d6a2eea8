"""What a run reports: progress while it works, and its summary when it ends."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from ff_shared.stores.postgres.obv import RunStatus, Trigger

ItemOutcome = Literal["archived", "unchanged", "quarantined", "failed", "skipped"]


class ItemResult(msgspec.Struct, frozen=True, kw_only=True):
    """One application's outcome in a run (no personal data: ids, codes and error kinds)."""

    application_id: str
    outcome: ItemOutcome
    version: int | None = None
    transactions: int = 0
    detail: str | None = None


class Tally(msgspec.Struct, kw_only=True):
    found: int = 0
    done: int = 0
    archived: int = 0
    unchanged: int = 0
    quarantined: int = 0
    failed: int = 0
    skipped: int = 0
    transactions_archived: int = 0

    def add(self, result: ItemResult) -> None:
        self.done += 1
        setattr(self, result.outcome, getattr(self, result.outcome) + 1)
        if result.outcome == "archived":
            self.transactions_archived += result.transactions


class Progress(msgspec.Struct, frozen=True, kw_only=True):
    tally: Tally
    elapsed_seconds: float

    def line(self) -> str:
        t = self.tally
        rate = t.transactions_archived / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0
        return (
            f"progress {t.done}/{t.found} applications: archived {t.archived}, "
            f"unchanged {t.unchanged}, quarantined {t.quarantined}, failed {t.failed}, "
            f"skipped {t.skipped}; {t.transactions_archived:,} transactions "
            f"({rate:,.0f}/s), {self.elapsed_seconds:,.1f}s"
        )


class RunSummary(msgspec.Struct, frozen=True, kw_only=True):
    run_id: UUID
    status: RunStatus
    trigger: Trigger
    dry_run: bool
    started_at: datetime
    elapsed_seconds: float
    since: datetime | None
    reference: str | None
    watermark_before: datetime | None
    watermark_after: datetime | None
    discovered: int
    """Applications Dynamics listed as changed since the discovery point."""
    found: int
    """Applications the run set out to archive (those discovered plus earlier unfinished ones)."""
    archived: int
    unchanged: int
    quarantined: int
    failed: int
    skipped: int
    """Applications another archiver was working on, or had just finished."""
    transactions_archived: int
    error: str | None = None
    items: tuple[ItemResult, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def render(self) -> str:
        verb = "would archive" if self.dry_run else "archived"
        rate = (
            self.transactions_archived / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0
        )
        lines = [
            f"obv-archive run {self.run_id}{' (dry run: nothing written)' if self.dry_run else ''}",
            f"  status        {self.status}",
            f"  discovery     {_discovery_line(self)}",
            f"  found         {self.found}",
            f"  {verb:<13} {self.archived}  ({self.transactions_archived:,} transactions, "
            f"{rate:,.0f}/s)",
            f"  unchanged     {self.unchanged}",
            f"  quarantined   {self.quarantined}",
            f"  failed        {self.failed}",
            f"  skipped       {self.skipped}",
            f"  watermark     {_when(self.watermark_before)} -> {_when(self.watermark_after)}",
            f"  took          {self.elapsed_seconds:,.1f}s",
        ]
        if self.error:
            lines.append(f"  error         {self.error}")
        for item in self.items:
            if item.outcome in ("failed", "quarantined"):
                lines.append(f"  {item.outcome:<13} {item.application_id}: {item.detail}")
        return "\n".join(lines)


def _discovery_line(summary: RunSummary) -> str:
    if summary.reference:
        return f"reference {summary.reference}; {summary.discovered} in Dynamics"
    return f"since {_when(summary.since)}; {summary.discovered} changed in Dynamics"


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "(none)"
