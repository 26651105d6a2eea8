"""Validate: the bytes OBV sent become an archivable report, or a quarantine with every reason.

In order: the body must be JSON (its canonical form and hash are computed here); it must decode
into OBV's wire schema; the archive's rules (:func:`validate_report`: impossible dates, currency
mismatches, duplicate transaction ids, amounts, the reference asked for) must find nothing; and
the platform's own reading of it (:func:`report_from_wire`) must accept it. Only then is it
archived, as the canonical payload and as the platform's domain rows.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from ff_shared.domain.obv_archive.payloads import sha256_hex
from ff_shared.domain.obv_archive.reports import (
    ProviderAccount,
    ProviderBalance,
    ProviderReport,
    ProviderTransaction,
    QuarantineReason,
    malformed_reason,
    problem_reason,
    schema_reason,
    validate_report,
)
from ff_shared.domain.open_banking import OpenBankingReport
from ff_shared.integrations.obv import schemas as wire
from ff_shared.integrations.obv.canonical import report_canonical_json
from ff_shared.integrations.obv.mapping import ReportInvalid, report_from_wire
from ff_shared.stores.postgres.obv import VersionToStore
from ff_workers.obv_archiver.one_pass import accept


class Archivable(msgspec.Struct, frozen=True, kw_only=True):
    version: VersionToStore

    @property
    def sha256(self) -> str:
        return self.version.payload_sha256


class Quarantinable(msgspec.Struct, frozen=True, kw_only=True):
    raw: bytes
    """The body exactly as received."""
    sha256: str
    """SHA-256 of ``raw``."""
    reasons: tuple[QuarantineReason, ...]


Verdict = Archivable | Quarantinable


def provider_report(report: wire.Report) -> ProviderReport:
    """The wire report as the archive's rules read it: the same values, nothing judged yet."""
    data = report.data
    return ProviderReport(
        reference=data.reference,
        application_reference=data.application_reference,
        produced_at=data.generated_date_time,
        first_available_at=report.meta.first_available_date_time,
        last_available_at=report.meta.last_available_date_time,
        accounts=tuple(
            ProviderAccount(
                account_id=a.account_id,
                currency=a.currency,
                account_type=a.account_type,
                account_subtype=a.account_sub_type,
                nickname=a.nickname,
                scheme_name=a.account[0].scheme_name if a.account else None,
                identification=a.account[0].identification if a.account else None,
                name=a.account[0].name if a.account else None,
            )
            for a in data.account
        ),
        balances=tuple(
            ProviderBalance(
                account_id=b.account_id,
                type=b.type,
                credit_debit=b.credit_debit_indicator,
                amount=b.amount.amount,
                currency=b.amount.currency,
                at=b.date_time,
            )
            for b in data.balance
        ),
        transactions=tuple(
            ProviderTransaction(
                account_id=t.account_id,
                transaction_id=t.transaction_id,
                credit_debit=t.credit_debit_indicator,
                status=t.status,
                booked_at=t.booking_date_time,
                amount=t.amount.amount,
                currency=t.amount.currency,
                value_at=t.value_date_time,
                reference=t.transaction_reference,
                information=t.transaction_information,
                running_balance=t.balance.amount.amount if t.balance else None,
                running_balance_credit_debit=(
                    t.balance.credit_debit_indicator if t.balance else None
                ),
                running_balance_currency=t.balance.amount.currency if t.balance else None,
            )
            for t in data.transaction
        ),
    )


def judge(
    raw: bytes, *, reference: str, received_at: datetime, decoded: wire.Report | None = None
) -> Verdict:
    """Archivable with its canonical payload and rows, or quarantinable with every reason.

    ``decoded`` is ``raw`` already read as the wire schema, when the caller has it."""

    def refuse(*reasons: QuarantineReason) -> Quarantinable:
        return Quarantinable(raw=raw, sha256=sha256_hex(raw), reasons=reasons)

    try:
        canonical = report_canonical_json(raw)
    except msgspec.DecodeError as exc:
        return refuse(malformed_reason(exc))
    digest = sha256_hex(canonical)
    if decoded is None:
        try:
            decoded = msgspec.json.decode(raw, type=wire.Report)
        except msgspec.ValidationError as exc:
            return refuse(schema_reason(exc))
    report = accept(decoded, reference=reference, received_at=received_at)
    if report is None:
        reasons = validate_report(
            provider_report(decoded), received_at=received_at, expected_reference=reference
        )
        if reasons:
            return refuse(*reasons)
        try:
            report = report_from_wire(decoded, raw=raw)
        except ReportInvalid as invalid:
            return refuse(*(problem_reason(p.path, p.message) for p in invalid.problems))
    return Archivable(
        version=VersionToStore(
            report=report,
            payload=canonical,
            payload_sha256=digest,
            provider_summary=msgspec.to_builtins(decoded.data.summary),
            first_available_at=decoded.meta.first_available_date_time,
            last_available_at=decoded.meta.last_available_date_time,
        )
    )


def read_archived(canonical: bytes) -> OpenBankingReport:
    """A stored payload read back as the platform reads it (for verification).

    Raises ``msgspec.DecodeError``/``ValidationError`` or ``ReportInvalid`` when it no longer
    can be, which verification reports as a mismatch.
    """
    return report_from_wire(msgspec.json.decode(canonical, type=wire.Report), raw=canonical)
