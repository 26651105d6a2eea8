"""Reading the archive back: stored versions and the figures verification compares."""

from __future__ import annotations

import asyncpg

from ff_shared.domain.obv_archive.verification import AccountFigures, BalanceFacts, TransactionFacts
from ff_shared.stores.postgres.obv.records import (
    CurrentVersionProblem,
    StoredVersion,
    struct_from_row,
)


async def stored_versions(
    conn: asyncpg.Connection,
    *,
    application_id: str | None = None,
    obv_reference: str | None = None,
    current_only: bool = False,
    after_version_id: int = 0,
    limit: int = 100,
) -> list[StoredVersion]:
    """Stored versions in ``version_id`` order, a page at a time (``after_version_id``)."""
    rows = await conn.fetch(
        """
        select v.version_id, v.application_id, v.version, v.obv_reference, v.payload_sha256,
               v.payload, v.account_count, v.balance_count, v.transaction_count, v.archived_at,
               v.version = a.current_version as is_current
        from obv.report_versions v join obv.applications a using (application_id)
        where v.version_id > $1
          and ($2::text is null or v.application_id = $2)
          and ($3::text is null or v.obv_reference = $3)
          and (not $4 or v.version = a.current_version)
        order by v.version_id
        limit $5
        """,
        after_version_id,
        application_id,
        obv_reference,
        current_only,
        limit,
    )
    return [struct_from_row(StoredVersion, r) for r in rows]


async def recorded_figures(conn: asyncpg.Connection, version_id: int) -> dict[str, AccountFigures]:
    """The figures written on each account row when the version was archived."""
    rows = await conn.fetch(
        """
        select account_id, transaction_count, credits_pence, debits_pence, balance_count,
               balances_pence
        from obv.accounts where version_id = $1
        """,
        version_id,
    )
    return {r["account_id"]: _figures(r) for r in rows}


async def counted_figures(conn: asyncpg.Connection, version_id: int) -> dict[str, AccountFigures]:
    """The same figures counted afresh from the stored transaction and balance rows."""
    rows = await conn.fetch(
        """
        select a.account_id,
               coalesce(t.transaction_count, 0) as transaction_count,
               coalesce(t.credits_pence, 0) as credits_pence,
               coalesce(t.debits_pence, 0) as debits_pence,
               coalesce(b.balance_count, 0) as balance_count,
               coalesce(b.balances_pence, 0) as balances_pence
        from obv.accounts a
        left join (
            select account_id, count(*) as transaction_count,
                   sum(amount_pence) filter (where amount_pence > 0) as credits_pence,
                   -sum(amount_pence) filter (where amount_pence < 0) as debits_pence
            from obv.transactions where version_id = $1 group by account_id
        ) t using (account_id)
        left join (
            select account_id, count(*) as balance_count, sum(amount_pence) as balances_pence
            from obv.balances where version_id = $1 group by account_id
        ) b using (account_id)
        where a.version_id = $1
        """,
        version_id,
    )
    found = {r["account_id"]: _figures(r) for r in rows}
    orphans = await conn.fetch(
        """
        select distinct account_id from obv.transactions t where version_id = $1
          and not exists (select 1 from obv.accounts a
                          where a.version_id = t.version_id and a.account_id = t.account_id)
        """,
        version_id,
    )
    for r in orphans:
        found[r["account_id"]] = AccountFigures(
            transaction_count=-1, credits_pence=0, debits_pence=0, balance_count=0, balances_pence=0
        )
    return found


def _figures(row: asyncpg.Record) -> AccountFigures:
    return AccountFigures(
        transaction_count=int(row["transaction_count"]),
        credits_pence=int(row["credits_pence"]),
        debits_pence=int(row["debits_pence"]),
        balance_count=int(row["balance_count"]),
        balances_pence=int(row["balances_pence"]),
    )


async def stored_transactions(conn: asyncpg.Connection, version_id: int) -> list[TransactionFacts]:
    """The version's transaction rows, in the order the report listed them."""
    rows = await conn.fetch(
        """
        select account_id, transaction_id, status, booked_at, amount_pence, running_balance_pence
        from obv.transactions where version_id = $1 order by seq
        """,
        version_id,
    )
    return [struct_from_row(TransactionFacts, r) for r in rows]


async def current_version_problems(
    conn: asyncpg.Connection,
    *,
    application_id: str | None = None,
    obv_reference: str | None = None,
) -> list[CurrentVersionProblem]:
    """Applications whose recorded current version is not their newest stored version."""
    rows = await conn.fetch(
        """
        select a.application_id, a.current_version, v.newest_version
        from obv.applications a
        left join (select application_id, max(version) as newest_version
                   from obv.report_versions group by application_id) v using (application_id)
        where a.current_version is distinct from v.newest_version
          and ($1::text is null or a.application_id = $1)
          and ($2::text is null or a.obv_reference = $2)
        """,
        application_id,
        obv_reference,
    )
    return [struct_from_row(CurrentVersionProblem, r) for r in rows]


async def stored_balances(conn: asyncpg.Connection, version_id: int) -> list[BalanceFacts]:
    rows = await conn.fetch(
        """
        select account_id, balance_type as type, amount_pence, balance_at as at
        from obv.balances where version_id = $1 order by seq
        """,
        version_id,
    )
    return [struct_from_row(BalanceFacts, r) for r in rows]


async def version_counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Totals across the archive, for summaries and tests."""
    row = await conn.fetchrow(
        """
        select (select count(*) from obv.applications) as applications,
               (select count(*) from obv.applications where pending) as pending,
               (select count(*) from obv.report_versions) as versions,
               (select count(*) from obv.transactions) as transactions,
               (select count(*) from obv.quarantine where resolved_at is null) as quarantined
        """
    )
    assert row is not None
    return {k: int(v) for k, v in row.items()}
