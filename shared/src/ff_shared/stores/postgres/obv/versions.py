"""Writing one validated report as a stored version.

A report's transactions are bulk-loaded with ``COPY`` (``copy_records_to_table``), never row by
row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from ff_shared.domain.obv_archive.verification import account_figures
from ff_shared.domain.open_banking import OpenBankingReport
from ff_shared.stores.postgres.obv.records import SCHEMA, VersionToStore

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


_INSERT_VERSION = """
with version as (
    insert into obv.report_versions (application_id, version, obv_reference,
        report_application_reference, payload_sha256, payload, generated_at,
        first_available_at, last_available_at, account_count, balance_count,
        transaction_count, archived_at, run_id)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    returning version_id
), accounts as (
    insert into obv.accounts (version_id, account_id, currency, account_type, account_subtype,
        nickname, scheme_name, identification, holder_name, transaction_count, credits_pence,
        debits_pence, balance_count, balances_pence)
    select version.version_id, a.*
    from version, unnest($15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
        $20::text[], $21::text[], $22::text[], $23::integer[], $24::bigint[], $25::bigint[],
        $26::integer[], $27::bigint[]) as a
), balances as (
    insert into obv.balances (version_id, seq, account_id, balance_type, amount_pence, currency,
        balance_at, credit_line_pence)
    select version.version_id, b.*
    from version, unnest($28::integer[], $29::text[], $30::text[], $31::bigint[], $32::text[],
        $33::timestamptz[], $34::bigint[]) as b
), analysis as (
    insert into obv.analysis (version_id, period_start, period_end, months_analysed,
        monthly_income_pence, monthly_essential_spend_pence,
        monthly_credit_commitments_pence, monthly_discretionary_spend_pence,
        gambling_transactions, gambling_total_pence, gambling_share_of_income_bps,
        returned_payments, returned_payments_total_pence, days_overdrawn, flags, summary,
        provider_summary)
    select version.version_id, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46, $47,
        $48, $49::jsonb, $50::jsonb
    from version
)
select version_id from version
"""
"""The version with its accounts, balances and analysis: one statement, so one round trip (the
foreign keys are checked at its end, when the version row exists)."""


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
    """Write one validated report as version ``version``: the payload with its accounts,
    balances and analysis in one statement, then its transactions by COPY."""
    report = item.report
    summary = report.summary
    figures = account_figures(report)
    accounts = [
        (
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
    ]
    balances = [
        (seq, b.account_id, b.type, b.amount_pence, b.currency, b.at, b.credit_line_pence)
        for seq, b in enumerate(report.balances)
    ]
    version_id: int = await conn.fetchval(
        _INSERT_VERSION,
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
        *_columns(accounts, 13),
        *_columns(balances, 7),
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
    if report.transactions:
        await conn.copy_records_to_table(
            "transactions",
            schema_name=SCHEMA,
            columns=TRANSACTION_COLUMNS,
            records=transaction_records(version_id, report),
        )
    return version_id


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as one list per column, for ``unnest``."""
    return [[row[n] for row in rows] for n in range(width)]


def transaction_records(version_id: int, report: OpenBankingReport) -> Iterator[tuple[Any, ...]]:
    """The ``obv.transactions`` rows of a report, in ``TRANSACTION_COLUMNS`` order, one at a time
    (``COPY`` encodes them as they come, so a large report's rows are never all held as tuples)."""
    return (
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
    )
