"""Data-quality checks of a run, before anything is published.

Every table's key is unique and its required fields present; the lake's row counts match each
source's own count; the loans' money matches the loan book's sums to the penny. One failed check
fails the run: its tables stay in staging and the previous run remains the one readers see.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from ff_shared.adp import schema as s
from ff_shared.adp.runs import CheckResult
from ff_shared.adp.sources import LoanBookTotals


def _sum(table: pa.Table, column: str, where: pa.Array | None = None) -> int:
    values = table[column] if where is None else table.filter(where)[column]
    total = pc.sum(values).as_py()
    return int(total or 0)


def _net_payments(payments: pa.Table) -> int:
    """Payments less their reversals, as the loan book's own sum counts them."""
    if not payments.num_rows:
        return 0
    kinds = payments["type"]
    return _sum(payments, "amount_pence", pc.equal(kinds, "payment")) - _sum(
        payments, "amount_pence", pc.equal(kinds, "payment_reversal")
    )


def unique_keys(tables: Mapping[str, pa.Table]) -> list[CheckResult]:
    results: list[CheckResult] = []
    for name, table in tables.items():
        key = list(s.BY_NAME[name].key)
        distinct = table.group_by(key).aggregate([]).num_rows if table.num_rows else 0
        results.append(
            CheckResult(
                name=f"unique:{name}",
                passed=distinct == table.num_rows,
                expected=table.num_rows,
                actual=distinct,
                detail=f"key ({', '.join(key)})",
            )
        )
    return results


def required_fields(tables: Mapping[str, pa.Table]) -> list[CheckResult]:
    results: list[CheckResult] = []
    for name, table in tables.items():
        missing = {c: table[c].null_count for c in s.BY_NAME[name].required}
        bad = {c: n for c, n in missing.items() if n}
        results.append(
            CheckResult(
                name=f"required:{name}",
                passed=not bad,
                expected=0,
                actual=sum(bad.values()),
                detail=", ".join(f"{c}: {n} missing" for c, n in sorted(bad.items())),
            )
        )
    return results


def _count(name: str, expected: int, actual: int, detail: str) -> CheckResult:
    return CheckResult(
        name=name, passed=expected == actual, expected=expected, actual=actual, detail=detail
    )


def reconcile(
    tables: Mapping[str, pa.Table],
    *,
    held: Mapping[str, int],
    source_counts: Mapping[str, int],
    loanbook: LoanBookTotals,
) -> list[CheckResult]:
    """``held``: rows the pipeline holds per source after merging; ``source_counts``: what each
    source says it has now."""
    results = [
        _count(f"rows:{source}", source_counts[source], held.get(source, 0), "held vs source")
        for source in sorted(source_counts)
    ]
    loans = tables[s.FACT_LOANS.name]
    payments = tables[s.FACT_PAYMENTS.name]
    results += [
        _count(
            "rows:fact_applications",
            source_counts["mongo.applications"],
            tables[s.FACT_APPLICATIONS.name].num_rows,
            "one row per application",
        ),
        _count("rows:fact_loans", loanbook.agreements, loans.num_rows, "one row per agreement"),
        _count(
            "rows:fact_instalments",
            loanbook.instalments,
            tables[s.FACT_INSTALMENTS.name].num_rows,
            "one row per scheduled instalment",
        ),
        _count(
            "rows:fact_payments",
            loanbook.transactions,
            payments.num_rows,
            "one row per transaction",
        ),
        _count(
            "money:advance_pence",
            loanbook.advance_pence,
            _sum(loans, "advance_pence"),
            "amount lent, fact_loans vs Agreements.AdvanceAmount",
        ),
        _count(
            "money:balance_pence",
            loanbook.balance_pence,
            _sum(loans, "balance_pence"),
            "owed now, fact_loans vs Agreements.Balance",
        ),
        _count(
            "money:payments_pence",
            loanbook.payments_pence,
            _net_payments(payments),
            "received net of reversals, fact_payments vs Transactions (payments - reversals)",
        ),
    ]
    return results


def run_checks(
    tables: Mapping[str, pa.Table],
    *,
    held: Mapping[str, int],
    source_counts: Mapping[str, int],
    loanbook: LoanBookTotals,
) -> list[CheckResult]:
    return [
        *reconcile(tables, held=held, source_counts=source_counts, loanbook=loanbook),
        *unique_keys(tables),
        *required_fields(tables),
    ]
