"""A pipeline run's report: what came in, what went out, what was rejected, and the checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

RunStatus = Literal["running", "published", "failed"]


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    """Stable name, e.g. ``rows:loanbook.agreements`` or ``money:balance``."""
    passed: bool
    expected: int | str | None = None
    actual: int | str | None = None
    detail: str = ""


class RunReport(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str
    run_date: date
    trigger: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    rows_in: dict[str, int] = {}
    """Rows read from each source this run (changes since the watermark)."""
    rows_out: dict[str, int] = {}
    """Rows written to each table."""
    rows_rejected: dict[str, int] = {}
    """Rows left out of each table, keyed ``table:reason``."""
    checks: tuple[CheckResult, ...] = ()
    error: str | None = None
    manifest_key: str | None = None

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]
