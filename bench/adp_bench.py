"""The data platform's pipeline and report queries on a synthetic portfolio.

Prints the pipeline's rows per second (transform, checks and the partitioned Parquet write of a
run) beside the floor of writing the same tables to Parquet with pyarrow alone, then each report
query's latency on DuckDB over the run's tables. The portfolio is made in memory (no sources:
extraction is bound by the source servers, not by the pipeline).

    uv run python bench/adp_bench.py --loans 100000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ff_shared.adp import insights
from ff_shared.adp.checks import run_checks
from ff_shared.adp.engine import DuckDbEngine
from ff_shared.adp.lake import Lake
from ff_shared.adp.sources import (
    AgreementRow,
    ApplicationRow,
    DecisionEvent,
    InstalmentRow,
    LoanBookTotals,
    TransactionRow,
)
from ff_shared.adp.transform import Inputs, transform
from ff_shared.domain.dates import add_months

AS_OF = date(2026, 11, 30)
AREAS = ("LS", "M", "B", "L", "S", "NE", "BD", "G", "CF", "NG", "SW", "E")


def portfolio(loans: int, seed: int = 1) -> Inputs:
    rng = random.Random(seed)
    applications: list[ApplicationRow] = []
    agreements: list[AgreementRow] = []
    instalments: list[InstalmentRow] = []
    transactions: list[TransactionRow] = []
    tid = 0
    for n in range(loans):
        start = AS_OF - timedelta(days=rng.randint(1, 730))
        created = datetime.combine(start - timedelta(days=3), datetime.min.time(), tzinfo=UTC)
        term = rng.choice((3, 6, 9, 12))
        amount = rng.choice((30_000, 50_000, 100_000, 150_000, 200_000))
        instalment = amount * 115 // 100 // term
        number = f"B{n:07d}"
        customer = f"c{n}"
        applications.append(
            ApplicationRow(
                application_id=f"A{n:07d}",
                customer_key=customer,
                status="accepted",
                created_at=created,
                updated_at=created,
                submitted_at=created,
                decisions=(
                    DecisionEvent(
                        decided_by="staff", outcome="approve", reasons=(), decided_at=created
                    ),
                ),
                requested_amount_pence=amount,
                requested_term_months=term,
                postcode_area=rng.choice(AREAS),
                agreement_number=number,
            )
        )
        tid += 1
        transactions.append(
            TransactionRow(
                transaction_id=tid,
                agreement_number=number,
                type_id=1,
                amount_pence=amount,
                transaction_date=start,
                created_at=created,
            )
        )
        stop = term if rng.random() < 0.85 else rng.randint(0, term)
        paid = 0
        for k in range(1, term + 1):
            due = add_months(start, k)
            instalments.append(
                InstalmentRow(
                    agreement_number=number,
                    number=k,
                    due_date=due,
                    amount_pence=instalment,
                    principal_pence=instalment,
                    interest_pence=0,
                    paid_pence=0,
                    status="Due",
                )
            )
            if k <= stop and due <= AS_OF:
                tid += 1
                paid += instalment
                transactions.append(
                    TransactionRow(
                        transaction_id=tid,
                        agreement_number=number,
                        type_id=3,
                        amount_pence=instalment,
                        transaction_date=due + timedelta(days=rng.choice((0, 0, 1, 12))),
                        created_at=created,
                    )
                )
        agreements.append(
            AgreementRow(
                agreement_number=number,
                application_id=f"A{n:07d}",
                customer_key=customer,
                postcode_area=rng.choice(AREAS),
                product_code="FFPL",
                status="Live",
                advance_pence=amount,
                term_months=term,
                instalment_pence=instalment,
                total_repayable_pence=instalment * term,
                balance_pence=instalment * term - paid,
                arrears_pence=0,
                start_date=start,
                created_at=created,
                updated_at=created,
            )
        )
    return Inputs(
        applications=applications,
        agreements=agreements,
        instalments=instalments,
        transactions=transactions,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--snapshot-months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    made = time.perf_counter()
    inputs = portfolio(args.loans)
    print(f"portfolio        {args.loans:,} loans generated in {time.perf_counter() - made:.1f} s")
    totals = LoanBookTotals(
        agreements=len(inputs.agreements),
        instalments=len(inputs.instalments),
        transactions=len(inputs.transactions),
        advance_pence=sum(a.advance_pence for a in inputs.agreements),
        balance_pence=sum(a.balance_pence for a in inputs.agreements),
        payments_pence=sum(t.amount_pence for t in inputs.transactions if t.type_id == 3),
    )
    with tempfile.TemporaryDirectory() as workdir:
        lake = Lake(pafs.LocalFileSystem(), workdir, "adp")
        started = time.perf_counter()
        output = transform(inputs, as_of=AS_OF, snapshot_months=args.snapshot_months)
        transformed = time.perf_counter()
        checks = run_checks(
            output.tables,
            held={"mongo.applications": len(inputs.applications)},
            source_counts={"mongo.applications": len(inputs.applications)},
            loanbook=totals,
        )
        checked = time.perf_counter()
        lake.write_tables("bench", output.tables)
        written = time.perf_counter()
        rows = sum(t.num_rows for t in output.tables.values())
        failed = [c.name for c in checks if not c.passed]
        floor_started = time.perf_counter()
        for name, table in output.tables.items():
            pq.write_table(table, f"{workdir}/floor-{name}.parquet")
        floor = time.perf_counter() - floor_started
        pipeline = written - started
        print(
            f"rows out         {rows:,} in {len(output.tables)} tables"
            f" ({output.tables['fact_arrears_daily'].num_rows:,} arrears snapshot rows)"
        )
        print(
            f"pipeline         {rows / pipeline:>12,.0f} rows/s  ({pipeline:.2f} s: transform"
            f" {transformed - started:.2f}, checks {checked - transformed:.2f},"
            f" partitioned write {written - checked:.2f})"
        )
        print(
            f"  floor: pyarrow write_table of the same tables"
            f" {rows / floor:>12,.0f} rows/s  ({floor:.2f} s; pipeline = "
            f"{100 * floor / pipeline:.1f}% of floor)"
        )
        print(f"checks           {len(checks)} run, failed: {failed or 'none'}")

        loaded = time.perf_counter()
        engine = DuckDbEngine(output.tables)
        print(f"engine load      {time.perf_counter() - loaded:.2f} s (tables into DuckDB)")

    async def latencies() -> None:
        period = (AS_OF - timedelta(days=29), AS_OF)
        for name in insights.REPORTS:
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                await insights.build_report(
                    engine, name, period_from=period[0], period_to=period[1], as_of=AS_OF
                )
                times.append(time.perf_counter() - t0)
            print(
                f"  {name:<20} median {1000 * statistics.median(times):8.1f} ms"
                f"   max {1000 * max(times):8.1f} ms"
            )

    print(f"report latency on DuckDB ({args.loans:,} loans, {args.repeat} runs each)")
    asyncio.run(latencies())


if __name__ == "__main__":
    main()
