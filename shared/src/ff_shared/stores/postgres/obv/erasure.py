"""Erasure and retention of an application's open-banking archive (every ``obv.*`` row about it).

An application's archive is found by the platform's application id (``platform_id``). It is
either deleted (every report version with its accounts, balances, transactions and analysis,
its quarantined payloads, and the application row) or kept until a date, recorded on the
application row. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import msgspec

from ff_shared.stores.postgres.migrations import apply_migrations


class ArchivedFor(msgspec.Struct, frozen=True, kw_only=True):
    """An application's archive, as erasure sees it."""

    application_id: str
    """The archive's (Dynamics) application id."""
    platform_id: str
    obv_reference: str
    versions: int
    transactions: int
    retain_until: date | None
    retention_reason: str | None


async def prepare(conn: asyncpg.Connection) -> None:
    """The archive's schema at its latest version (erasure may run before obv-archiver has
    started with the retention columns)."""
    await apply_migrations(conn, "obv")


async def archives_of(conn: asyncpg.Connection, platform_ids: Sequence[str]) -> list[ArchivedFor]:
    rows = await conn.fetch(
        """
        select a.application_id, a.platform_id, a.obv_reference, a.retain_until,
               a.retention_reason,
               count(v.version_id)::int as versions,
               coalesce(sum(v.transaction_count), 0)::int as transactions
        from obv.applications a
        left join obv.report_versions v on v.application_id = a.application_id
        where a.platform_id = any($1)
        group by a.application_id
        order by a.application_id
        """,
        list(platform_ids),
    )
    return [msgspec.convert(dict(r.items()), ArchivedFor) for r in rows]


async def retain(
    conn: asyncpg.Connection, application_id: str, *, until: date, reason: str
) -> None:
    await conn.execute(
        """
        update obv.applications set retain_until = $2, retention_reason = $3, pending = false
        where application_id = $1
        """,
        application_id,
        until,
        reason,
    )


async def delete(conn: asyncpg.Connection, application_id: str) -> int:
    """Delete the application's whole archive; the number of report versions deleted."""
    versions = "select version_id from obv.report_versions where application_id = $1"
    await conn.execute(
        f"update obv.quarantine set resolved_by_version_id = null "
        f"where resolved_by_version_id in ({versions})",
        application_id,
    )
    for table in ("transactions", "balances", "analysis"):
        await conn.execute(
            f"delete from obv.{table} where version_id in ({versions})", application_id
        )
    await conn.execute(f"delete from obv.accounts where version_id in ({versions})", application_id)
    await conn.execute("delete from obv.quarantine where application_id = $1", application_id)
    deleted = await conn.fetchval(
        "with gone as (delete from obv.report_versions where application_id = $1 returning 1) "
        "select count(*)::int from gone",
        application_id,
    )
    await conn.execute("delete from obv.applications where application_id = $1", application_id)
    return int(deleted or 0)


async def export_of(conn: asyncpg.Connection, platform_ids: Sequence[str]) -> list[dict[str, Any]]:
    """A subject-access copy of the archive of these applications: every report version with its
    accounts (holder names included) and transactions, and the analysis the decision used."""
    archives: list[dict[str, Any]] = []
    for archive in await archives_of(conn, platform_ids):
        versions = []
        for version in await conn.fetch(
            """
            select v.version_id, v.version, v.generated_at, v.archived_at,
                   v.report_application_reference, n.monthly_income_pence,
                   n.monthly_essential_spend_pence, n.flags
            from obv.report_versions v left join obv.analysis n using (version_id)
            where v.application_id = $1 order by v.version
            """,
            archive.application_id,
        ):
            accounts = await conn.fetch(
                "select account_id, account_type, account_subtype, nickname, identification, "
                "holder_name from obv.accounts where version_id = $1 order by account_id",
                version["version_id"],
            )
            transactions = await conn.fetch(
                "select account_id, transaction_id, booked_at, amount_pence, currency, "
                "description, merchant_name from obv.transactions where version_id = $1 "
                "order by account_id, seq",
                version["version_id"],
            )
            entry = dict(version.items())
            entry.pop("version_id")
            entry["accounts"] = [dict(a.items()) for a in accounts]
            entry["transactions"] = [dict(t.items()) for t in transactions]
            versions.append(entry)
        archives.append({**msgspec.to_builtins(archive), "versions": versions})
    return archives
