"""Verify: re-check every stored version against itself, as an auditor would years later.

For each version: the payload still hashes to the stored SHA-256 and is still canonical; it still
reads as a report; the counts recorded on the version and on each account equal the report's;
the transaction and balance rows, counted and summed afresh, equal the report's figures; every
transaction row equals the report's transaction; and each account's running balances follow from
its amounts. Any disagreement is listed; nothing is repaired.
"""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import msgspec

from ff_shared.domain.obv_archive.payloads import check_payload
from ff_shared.domain.obv_archive.verification import (
    Mismatch,
    account_figures,
    booked_balance_breaks,
    compare_figures,
    compare_transactions,
    running_balance_breaks,
    transaction_facts,
)
from ff_shared.integrations.obv.mapping import ReportInvalid
from ff_shared.stores.postgres import obv as archive
from ff_workers.obv_archiver.validate import read_archived

PAGE = 50


class VersionMismatch(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    version: int
    version_id: int
    mismatch: Mismatch


class Verification(msgspec.Struct, kw_only=True):
    versions: int = 0
    applications: int = 0
    transactions: int = 0
    mismatches: list[VersionMismatch] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def render(self) -> str:
        lines = [
            f"obv-verify: {self.versions} version(s) of {self.applications} application(s), "
            f"{self.transactions:,} transactions checked",
        ]
        if self.ok:
            lines.append("  every payload hash, count, sum and balance matches")
        else:
            lines.append(f"  {len(self.mismatches)} mismatch(es):")
            for m in self.mismatches:
                lines.append(
                    f"  - application {m.application_id} v{m.version}: {m.mismatch.check} "
                    f"({m.mismatch.subject}) expected {m.mismatch.expected}, "
                    f"found {m.mismatch.found}"
                )
        return "\n".join(lines)


async def verify_version(conn: asyncpg.Connection, stored: archive.StoredVersion) -> list[Mismatch]:
    subject = f"version {stored.version}"
    mismatches = check_payload(stored.payload, stored.payload_sha256)
    if mismatches:
        return mismatches
    try:
        report = read_archived(stored.payload)
    except (msgspec.DecodeError, ReportInvalid) as exc:
        return [
            Mismatch(check="payload_readable", subject=subject, expected="a report", found=str(exc))
        ]
    for name, recorded, actual in (
        ("account_count", stored.account_count, len(report.accounts)),
        ("balance_count", stored.balance_count, len(report.balances)),
        ("transaction_count", stored.transaction_count, len(report.transactions)),
    ):
        if recorded != actual:
            mismatches.append(
                Mismatch(
                    check=f"version.{name}",
                    subject=subject,
                    expected=str(actual),
                    found=str(recorded),
                )
            )
    expected = account_figures(report)
    mismatches += compare_figures(
        expected,
        await archive.recorded_figures(conn, stored.version_id),
        subject=subject,
        check="recorded",
    )
    mismatches += compare_figures(
        expected,
        await archive.counted_figures(conn, stored.version_id),
        subject=subject,
        check="rows",
    )
    rows = await archive.stored_transactions(conn, stored.version_id)
    mismatches += compare_transactions(transaction_facts(report), rows, subject=subject)
    mismatches += running_balance_breaks(rows, subject=subject)
    balances = await archive.stored_balances(conn, stored.version_id)
    mismatches += booked_balance_breaks(balances, rows, subject=subject)
    return mismatches


async def verify_archive(
    pool: asyncpg.Pool,
    *,
    application_id: str | None = None,
    obv_reference: str | None = None,
    current_only: bool = False,
    on_version: Callable[[Verification], None] | None = None,
) -> Verification:
    """Check every stored version (or one application's, or only current ones), page by page."""
    result = Verification()
    applications: set[str] = set()
    after = 0
    async with pool.acquire() as conn:
        while True:
            page = await archive.stored_versions(
                conn,
                application_id=application_id,
                obv_reference=obv_reference,
                current_only=current_only,
                after_version_id=after,
                limit=PAGE,
            )
            if not page:
                break
            for stored in page:
                after = stored.version_id
                applications.add(stored.application_id)
                result.versions += 1
                result.transactions += stored.transaction_count
                for mismatch in await verify_version(conn, stored):
                    result.mismatches.append(
                        VersionMismatch(
                            application_id=stored.application_id,
                            version=stored.version,
                            version_id=stored.version_id,
                            mismatch=mismatch,
                        )
                    )
                if on_version is not None:
                    on_version(result)
        for problem in await archive.current_version_problems(
            conn, application_id=application_id, obv_reference=obv_reference
        ):
            result.mismatches.append(problem_as_mismatch(problem))
    result.applications = len(applications)
    return result


def problem_as_mismatch(problem: archive.CurrentVersionProblem) -> VersionMismatch:
    return VersionMismatch(
        application_id=problem.application_id,
        version=problem.newest_version or 0,
        version_id=0,
        mismatch=Mismatch(
            check="application.current_version",
            subject=f"application {problem.application_id}",
            expected=str(problem.newest_version),
            found=str(problem.current_version),
        ),
    )
