"""The open-banking archive's queries (schema ``obv``). Callers own the transactions.

A report's transactions are bulk-loaded with ``COPY`` (``copy_records_to_table``), never row by
row. Two archivers never work on one application at the same time: each claims it with a
session-level advisory lock held from before the OBV fetch until its transaction has committed,
which PostgreSQL releases by itself if the archiver dies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from ff_shared.domain.obv_archive import (
    AccountFigures,
    BalanceFacts,
    QuarantineReason,
    TransactionFacts,
    account_figures,
)
from ff_shared.domain.open_banking import OpenBankingReport

SCHEMA = "obv"
WATERMARK = "dynamics_applications"
_CLAIM_NAMESPACE = 0x4F42_5641  # "OBVA"

Outcome = Literal["archived", "unchanged", "quarantined", "failed"]
RunStatus = Literal["running", "succeeded", "completed_with_failures", "failed", "abandoned"]
Trigger = Literal["schedule", "command"]

ACCOUNT_COLUMNS = (
    "version_id",
    "account_id",
    "currency",
    "account_type",
    "account_subtype",
    "nickname",
    "scheme_name",
    "identification",
    "holder_name",
    "transaction_count",
    "credits_pence",
    "debits_pence",
    "balance_count",
    "balances_pence",
)
BALANCE_COLUMNS = (
    "version_id",
    "seq",
    "account_id",
    "balance_type",
    "amount_pence",
    "currency",
    "balance_at",
    "credit_line_pence",
)
TRANSACTION_COLUMNS = (
    "version_id",
    "account_id",
    "transaction_id",
    "seq",
    "status",
    "booked_at",
    "booked_offset_minutes",
    "value_at",
    "amount_pence",
    "currency",
    "transaction_reference",
    "description",
    "bank_code",
    "bank_sub_code",
    "proprietary_code",
    "running_balance_pence",
    "merchant_name",
    "merchant_category_code",
)


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    placeholders = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    return f"insert into {SCHEMA}.{table} ({', '.join(columns)}) values ({placeholders})"


class SeenApplication(msgspec.Struct, frozen=True, kw_only=True):
    """An application as discovery found it in Dynamics."""

    application_id: str
    obv_reference: str
    modified_on: datetime
    platform_id: str | None = None
    application_reference: str | None = None


class ArchivedApplication(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    obv_reference: str
    dynamics_modified_on: datetime
    pending: bool
    platform_id: str | None = None
    application_reference: str | None = None
    archived_modified_on: datetime | None = None
    current_version: int | None = None
    last_outcome: Outcome | None = None
    last_error: str | None = None
    attempts: int = 0


class CurrentVersion(msgspec.Struct, frozen=True, kw_only=True):
    version_id: int
    version: int
    payload_sha256: str


class StoredVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A stored version with its payload and the counts recorded when it was archived."""

    version_id: int
    application_id: str
    version: int
    obv_reference: str
    payload_sha256: str
    payload: bytes
    account_count: int
    balance_count: int
    transaction_count: int
    archived_at: datetime
    is_current: bool


class QuarantineEntry(msgspec.Struct, frozen=True, kw_only=True):
    quarantine_id: int
    application_id: str
    obv_reference: str
    payload_sha256: str
    payload: bytes
    reasons: list[QuarantineReason]
    seen_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None = None
    resolved_by_version_id: int | None = None


class RunCounts(msgspec.Struct, kw_only=True):
    discovered: int = 0
    found: int = 0
    archived: int = 0
    unchanged: int = 0
    quarantined: int = 0
    failed: int = 0
    skipped: int = 0
    transactions_archived: int = 0


class RunRecord(msgspec.Struct, frozen=True, kw_only=True):
    run_id: UUID
    trigger: Trigger
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    since: datetime | None
    reference: str | None
    watermark_before: datetime | None
    watermark_after: datetime | None
    counts: RunCounts
    error: str | None


def _struct(cls: type[Any], row: asyncpg.Record) -> Any:
    return msgspec.convert(dict(row.items()), cls, from_attributes=False)


async def read_watermark(conn: asyncpg.Connection) -> datetime | None:
    value: datetime | None = await conn.fetchval(
        "select modified_on from obv.watermark where name = $1", WATERMARK
    )
    return value


async def advance_watermark(
    conn: asyncpg.Connection, modified_on: datetime, *, run_id: UUID | None, now: datetime
) -> datetime:
    """Move the watermark forward to ``modified_on`` (never backwards); returns where it is."""
    value: datetime = await conn.fetchval(
        """
        insert into obv.watermark (name, modified_on, run_id, updated_at)
        values ($1, $2, $3, $4)
        on conflict (name) do update set
            modified_on = greatest(obv.watermark.modified_on, excluded.modified_on),
            run_id = case when excluded.modified_on > obv.watermark.modified_on
                          then excluded.run_id else obv.watermark.run_id end,
            updated_at = excluded.updated_at
        returning modified_on
        """,
        WATERMARK,
        modified_on,
        run_id,
        now,
    )
    return value


async def start_run(
    conn: asyncpg.Connection,
    *,
    run_id: UUID,
    trigger: Trigger,
    started_at: datetime,
    since: datetime | None,
    reference: str | None,
    watermark_before: datetime | None,
) -> None:
    await conn.execute(
        """
        insert into obv.archive_runs
            (run_id, trigger, started_at, status, since, reference, watermark_before, backend_pid)
        values ($1, $2, $3, 'running', $4, $5, $6, pg_backend_pid())
        """,
        run_id,
        trigger,
        started_at,
        since,
        reference,
        watermark_before,
    )


async def abandon_dead_runs(conn: asyncpg.Connection, *, now: datetime) -> int:
    """Runs still marked running whose process's connection is gone (killed) become abandoned."""
    result: str = await conn.execute(
        """
        update obv.archive_runs r set status = 'abandoned', finished_at = $1,
            error = coalesce(error, 'the archiver stopped before finishing the run')
        where r.status = 'running'
          and not exists (select 1 from pg_stat_activity a where a.pid = r.backend_pid)
        """,
        now,
    )
    return int(result.split()[-1])


async def note_found(
    conn: asyncpg.Connection, run_id: UUID, *, discovered: int, found: int
) -> None:
    """What the run set out to do, recorded before it does it (a killed run still shows it)."""
    await conn.execute(
        "update obv.archive_runs set discovered = $2, found = $3 where run_id = $1",
        run_id,
        discovered,
        found,
    )


async def finish_run(
    conn: asyncpg.Connection,
    run_id: UUID,
    *,
    status: RunStatus,
    finished_at: datetime,
    discovered: int,
    found: int,
    watermark_after: datetime | None,
    error: str | None,
) -> RunRecord:
    """Close the run. Per-application counters were added as each application committed."""
    row = await conn.fetchrow(
        """
        update obv.archive_runs set status = $2, finished_at = $3, discovered = $4, found = $5,
            watermark_after = $6, error = $7
        where run_id = $1
        returning *
        """,
        run_id,
        status,
        finished_at,
        discovered,
        found,
        watermark_after,
        error,
    )
    assert row is not None
    return _run_record(row)


async def fail_run(conn: asyncpg.Connection, run_id: UUID, *, error: str, now: datetime) -> None:
    """A run that stopped on an unexpected error, if it is still marked running."""
    await conn.execute(
        "update obv.archive_runs set status = 'failed', finished_at = $2, error = $3"
        " where run_id = $1 and status = 'running'",
        run_id,
        now,
        error,
    )


def _run_record(row: asyncpg.Record) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        trigger=row["trigger"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        since=row["since"],
        reference=row["reference"],
        watermark_before=row["watermark_before"],
        watermark_after=row["watermark_after"],
        error=row["error"],
        counts=RunCounts(
            discovered=row["discovered"],
            found=row["found"],
            archived=row["archived"],
            unchanged=row["unchanged"],
            quarantined=row["quarantined"],
            failed=row["failed"],
            skipped=row["skipped"],
            transactions_archived=row["transactions_archived"],
        ),
    )


async def get_run(conn: asyncpg.Connection, run_id: UUID) -> RunRecord | None:
    row = await conn.fetchrow("select * from obv.archive_runs where run_id = $1", run_id)
    return _run_record(row) if row is not None else None


async def recent_runs(conn: asyncpg.Connection, limit: int = 10) -> list[RunRecord]:
    rows = await conn.fetch(
        "select * from obv.archive_runs order by started_at desc limit $1", limit
    )
    return [_run_record(r) for r in rows]


async def count_outcome(
    conn: asyncpg.Connection, run_id: UUID, outcome: Outcome | Literal["skipped"], *, tx: int = 0
) -> None:
    """Add one application's outcome to its run (in the application's own transaction)."""
    column = {
        "archived": "archived",
        "unchanged": "unchanged",
        "quarantined": "quarantined",
        "failed": "failed",
        "skipped": "skipped",
    }[outcome]
    await conn.execute(
        f"update obv.archive_runs set {column} = {column} + 1,"
        " transactions_archived = transactions_archived + $2 where run_id = $1",
        run_id,
        tx,
    )


async def record_seen(
    conn: asyncpg.Connection, seen: Sequence[SeenApplication], *, now: datetime
) -> None:
    """Upsert a page of discovered applications; one newer than its last archive becomes pending.

    A row already seen with a later modification keeps its later values (discovery re-reads an
    overlap window, and two archivers may discover out of order).
    """
    if not seen:
        return
    await conn.execute(
        """
        insert into obv.applications as a (application_id, platform_id, application_reference,
            obv_reference, dynamics_modified_on, pending, first_seen_at, last_seen_at)
        select s.application_id, s.platform_id, s.application_reference, s.obv_reference,
               s.modified_on, true, $6, $6
        from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
            as s(application_id, platform_id, application_reference, obv_reference, modified_on)
        on conflict (application_id) do update set
            last_seen_at = excluded.last_seen_at,
            obv_reference = case when excluded.dynamics_modified_on >= a.dynamics_modified_on
                                 then excluded.obv_reference else a.obv_reference end,
            platform_id = coalesce(excluded.platform_id, a.platform_id),
            application_reference = coalesce(excluded.application_reference,
                                             a.application_reference),
            dynamics_modified_on = greatest(a.dynamics_modified_on,
                                            excluded.dynamics_modified_on),
            pending = a.pending or excluded.dynamics_modified_on
                                   > coalesce(a.archived_modified_on, '-infinity')
        """,
        [s.application_id for s in seen],
        [s.platform_id for s in seen],
        [s.application_reference for s in seen],
        [s.obv_reference for s in seen],
        [s.modified_on for s in seen],
        now,
    )


_APPLICATION_COLUMNS = """
    application_id, obv_reference, dynamics_modified_on, pending, platform_id,
    application_reference, archived_modified_on, current_version, last_outcome, last_error, attempts
"""


async def pending_applications(conn: asyncpg.Connection) -> list[ArchivedApplication]:
    rows = await conn.fetch(
        f"select {_APPLICATION_COLUMNS} from obv.applications where pending"
        " order by dynamics_modified_on, application_id"
    )
    return [_struct(ArchivedApplication, r) for r in rows]


async def get_application(
    conn: asyncpg.Connection, application_id: str
) -> ArchivedApplication | None:
    row = await conn.fetchrow(
        f"select {_APPLICATION_COLUMNS} from obv.applications where application_id = $1",
        application_id,
    )
    return _struct(ArchivedApplication, row) if row is not None else None


async def try_claim(conn: asyncpg.Connection, application_id: str) -> bool:
    """Claim the application for this connection's session; False if another archiver has it."""
    claimed: bool = await conn.fetchval(
        "select pg_try_advisory_lock($1, hashtext($2))", _CLAIM_NAMESPACE, application_id
    )
    return claimed


async def release_claim(conn: asyncpg.Connection, application_id: str) -> None:
    await conn.execute(
        "select pg_advisory_unlock($1, hashtext($2))", _CLAIM_NAMESPACE, application_id
    )


async def current_version(conn: asyncpg.Connection, application_id: str) -> CurrentVersion | None:
    row = await conn.fetchrow(
        """
        select version_id, version, payload_sha256 from obv.report_versions
        where application_id = $1 order by version desc limit 1
        """,
        application_id,
    )
    return _struct(CurrentVersion, row) if row is not None else None


class VersionToStore(msgspec.Struct, frozen=True, kw_only=True):
    """A validated report and what it is archived with."""

    report: OpenBankingReport
    payload: bytes
    """The canonical JSON the provider sent."""
    payload_sha256: str
    provider_summary: dict[str, Any]
    """The provider's analysis section exactly as sent (JSON builtins)."""
    first_available_at: datetime | None = None
    last_available_at: datetime | None = None


async def insert_version(
    conn: asyncpg.Connection,
    *,
    application_id: str,
    version: int,
    obv_reference: str,
    run_id: UUID,
    item: VersionToStore,
    archived_at: datetime,
) -> int:
    """Write one validated report as version ``version``: the payload, then its rows by COPY."""
    report = item.report
    figures = account_figures(report)
    version_id: int = await conn.fetchval(
        """
        insert into obv.report_versions (application_id, version, obv_reference,
            report_application_reference, payload_sha256, payload, generated_at,
            first_available_at, last_available_at, account_count, balance_count,
            transaction_count, archived_at, run_id)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        returning version_id
        """,
        application_id,
        version,
        obv_reference,
        report.application_reference,
        item.payload_sha256,
        item.payload,
        report.generated_at,
        item.first_available_at,
        item.last_available_at,
        len(report.accounts),
        len(report.balances),
        len(report.transactions),
        archived_at,
        run_id,
    )
    # An account or two and a few balances: one pipelined statement each; COPY is kept for the
    # transactions, where the rows are.
    await conn.executemany(
        _insert_sql("accounts", ACCOUNT_COLUMNS),
        [
            (
                version_id,
                a.account_id,
                a.currency,
                a.account_type,
                a.account_subtype,
                a.nickname,
                a.scheme_name,
                a.identification,
                a.holder_name,
                figures[a.account_id].transaction_count,
                figures[a.account_id].credits_pence,
                figures[a.account_id].debits_pence,
                figures[a.account_id].balance_count,
                figures[a.account_id].balances_pence,
            )
            for a in report.accounts
        ],
    )
    if report.balances:
        await conn.executemany(
            _insert_sql("balances", BALANCE_COLUMNS),
            [
                (
                    version_id,
                    seq,
                    b.account_id,
                    b.type,
                    b.amount_pence,
                    b.currency,
                    b.at,
                    b.credit_line_pence,
                )
                for seq, b in enumerate(report.balances)
            ],
        )
    if report.transactions:
        await conn.copy_records_to_table(
            "transactions",
            schema_name=SCHEMA,
            columns=TRANSACTION_COLUMNS,
            records=transaction_records(version_id, report),
        )
    summary = report.summary
    await conn.execute(
        """
        insert into obv.analysis (version_id, period_start, period_end, months_analysed,
            monthly_income_pence, monthly_essential_spend_pence,
            monthly_credit_commitments_pence, monthly_discretionary_spend_pence,
            gambling_transactions, gambling_total_pence, gambling_share_of_income_bps,
            returned_payments, returned_payments_total_pence, days_overdrawn, flags, summary,
            provider_summary)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb,
                $17::jsonb)
        """,
        version_id,
        summary.period_start,
        summary.period_end,
        summary.months_analysed,
        summary.monthly_income_pence,
        summary.monthly_essential_spend_pence,
        summary.monthly_credit_commitments_pence,
        summary.monthly_discretionary_spend_pence,
        summary.gambling_transactions,
        summary.gambling_total_pence,
        summary.gambling_share_of_income_bps,
        summary.returned_payments,
        summary.returned_payments_total_pence,
        summary.days_overdrawn,
        list(summary.flags),
        msgspec.json.encode(summary).decode(),
        msgspec.json.encode(item.provider_summary).decode(),
    )
    return version_id


def transaction_records(version_id: int, report: OpenBankingReport) -> list[tuple[Any, ...]]:
    """The ``obv.transactions`` rows of a report, in ``TRANSACTION_COLUMNS`` order."""
    return [
        (
            version_id,
            t.account_id,
            t.transaction_id,
            seq,
            t.status,
            t.booked_at,
            t.booked_offset_minutes,
            t.value_at,
            t.amount_pence,
            t.currency,
            t.reference,
            t.description,
            t.bank_code,
            t.bank_sub_code,
            t.proprietary_code,
            t.running_balance_pence,
            t.merchant_name,
            t.merchant_category_code,
        )
        for seq, t in enumerate(report.transactions)
    ]


async def complete_application(
    conn: asyncpg.Connection,
    application_id: str,
    *,
    outcome: Literal["archived", "unchanged"],
    version: int,
    version_id: int,
    covered_modified_on: datetime,
    now: datetime,
) -> None:
    """The application's report as of ``covered_modified_on`` is archived: it stops being
    pending unless Dynamics has shown a newer change meanwhile, and its quarantined payloads are
    resolved by this version."""
    await conn.execute(
        """
        update obv.applications set
            current_version = $2,
            archived_modified_on = greatest(coalesce(archived_modified_on, '-infinity'), $3),
            pending = dynamics_modified_on > $3,
            last_attempt_at = $4, last_outcome = $5, last_error = null, attempts = 0
        where application_id = $1
        """,
        application_id,
        version,
        covered_modified_on,
        now,
        outcome,
    )
    await conn.execute(
        """
        update obv.quarantine set resolved_at = $2, resolved_by_version_id = $3
        where application_id = $1 and resolved_at is null
        """,
        application_id,
        now,
        version_id,
    )


async def quarantine(
    conn: asyncpg.Connection,
    *,
    application_id: str,
    obv_reference: str,
    run_id: UUID,
    payload: bytes,
    payload_sha256: str,
    reasons: Sequence[QuarantineReason],
    now: datetime,
) -> int:
    """Keep a payload that failed validation, exactly as received; the same payload again is
    counted on its existing row. The application stays pending."""
    quarantine_id: int = await conn.fetchval(
        """
        insert into obv.quarantine (application_id, obv_reference, payload_sha256, payload,
            reasons, first_seen_at, last_seen_at, first_run_id, last_run_id)
        values ($1, $2, $3, $4, $5::jsonb, $6, $6, $7, $7)
        on conflict (application_id, payload_sha256) do update set
            reasons = excluded.reasons, last_seen_at = excluded.last_seen_at,
            seen_count = obv.quarantine.seen_count + 1, last_run_id = excluded.last_run_id,
            resolved_at = null, resolved_by_version_id = null
        returning quarantine_id
        """,
        application_id,
        obv_reference,
        payload_sha256,
        payload,
        msgspec.json.encode(list(reasons)).decode(),
        now,
        run_id,
    )
    await conn.execute(
        """
        update obv.applications set last_attempt_at = $2, last_outcome = 'quarantined',
            last_error = $3, attempts = attempts + 1
        where application_id = $1
        """,
        application_id,
        now,
        ", ".join(sorted({r.code for r in reasons})),
    )
    return quarantine_id


async def record_failure(
    conn: asyncpg.Connection, application_id: str, *, error: str, now: datetime
) -> None:
    await conn.execute(
        """
        update obv.applications set last_attempt_at = $2, last_outcome = 'failed',
            last_error = $3, attempts = attempts + 1
        where application_id = $1
        """,
        application_id,
        now,
        error,
    )


async def quarantined(
    conn: asyncpg.Connection, application_id: str | None = None, *, unresolved_only: bool = False
) -> list[QuarantineEntry]:
    rows = await conn.fetch(
        """
        select quarantine_id, application_id, obv_reference, payload_sha256, payload, reasons,
               seen_count, first_seen_at, last_seen_at, resolved_at, resolved_by_version_id
        from obv.quarantine
        where ($1::text is null or application_id = $1)
          and (not $2 or resolved_at is null)
        order by quarantine_id
        """,
        application_id,
        unresolved_only,
    )
    return [
        QuarantineEntry(
            quarantine_id=r["quarantine_id"],
            application_id=r["application_id"],
            obv_reference=r["obv_reference"],
            payload_sha256=r["payload_sha256"],
            payload=r["payload"],
            reasons=msgspec.json.decode(r["reasons"], type=list[QuarantineReason]),
            seen_count=r["seen_count"],
            first_seen_at=r["first_seen_at"],
            last_seen_at=r["last_seen_at"],
            resolved_at=r["resolved_at"],
            resolved_by_version_id=r["resolved_by_version_id"],
        )
        for r in rows
    ]


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
    return [_struct(StoredVersion, r) for r in rows]


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
    return [_struct(TransactionFacts, r) for r in rows]


class CurrentVersionProblem(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    current_version: int | None
    newest_version: int | None


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
    return [_struct(CurrentVersionProblem, r) for r in rows]


async def stored_balances(conn: asyncpg.Connection, version_id: int) -> list[BalanceFacts]:
    rows = await conn.fetch(
        """
        select account_id, balance_type as type, amount_pence, balance_at as at
        from obv.balances where version_id = $1 order by seq
        """,
        version_id,
    )
    return [_struct(BalanceFacts, r) for r in rows]


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
