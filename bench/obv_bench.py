"""obv-archiver: transactions archived per second, beside a bare COPY of the same rows.

    uv run python bench/obv_bench.py [--applications 200] [--transactions 1000] [--in-flight 4]

Starts its own Dynamics and OBV simulators and a scratch database on the machine's PostgreSQL
(127.0.0.1:5432, or FF_BENCH_POSTGRES_URL), seeds ``--applications`` applications whose reports
carry about ``--transactions`` transactions each, then times one archive run: Dynamics discovery,
the OBV fetches over HTTP, canonical hashing, validation, and the one-transaction-per-application
writes. The floor is measured in the same run: the very rows the archiver wrote, COPYed again
into the same table (same indexes and foreign keys), one COPY and one commit per application on
the same number of connections; the limit is one COPY of all of them at once.

    uv run python bench/obv_bench.py --large-report 50000 [--reports 3]

instead archives ``--reports`` applications one after another, each with a report of about
``--large-report`` transactions, each in a run of its own, and prints the archiver process's
resident memory after each (and its peak so far): one report's decode is held while it is judged
and written, so the peak is about one report's worth, and it must not grow report after report.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import os
import resource
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
import asyncpg

from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.obv.client import ObvClient
from ff_shared.logging import configure_logging
from ff_shared.settings import DynamicsSettings, ObvArchiverSettings, ObvSettings
from ff_shared.stores.postgres import apply_migrations
from ff_shared.stores.postgres.obv import TRANSACTION_COLUMNS
from ff_standins.servers import ServerProcess, free_port
from ff_workers.obv_archiver.fetch import fetch_report
from ff_workers.obv_archiver.run import ArchiveRequest, run_archive

BASELINE_TRANSACTIONS = 560
"""About how many transactions a generated household has in a year before extra ones."""


def _simulators(workdir: Path) -> tuple[ServerProcess, ServerProcess]:
    dynamics_port, obv_port = free_port(), free_port()
    dynamics = ServerProcess(
        "bench-dynamics",
        [
            sys.executable,
            "-m",
            "ff_standins.dynamics.simulator",
            "--port",
            str(dynamics_port),
        ],
        port=dynamics_port,
        workdir=workdir,
    )
    obv = ServerProcess(
        "bench-obv",
        [sys.executable, "-m", "ff_standins.obv.simulator", "--port", str(obv_port)],
        port=obv_port,
        workdir=workdir,
    )
    return dynamics, obv


async def _seed(
    http: aiohttp.ClientSession,
    dynamics: str,
    obv: str,
    applications: int,
    extra: int,
    prefix: str = "bench",
) -> None:
    batch = 25
    consents: list[dict[str, str]] = []
    for start in range(0, applications, batch):
        async with http.post(
            f"{obv}/_sim/consents",
            json={
                "count": min(batch, applications - start),
                "application_prefix": f"{prefix}-{start}",
                "extra_transactions": extra,
            },
        ) as response:
            assert response.status == 201, await response.text()
            consents += (await response.json())["consents"]
    rows = [
        {
            "ff_platformid": c["application_reference"],
            "ff_name": f"FF-{prefix.upper()}{n:05d}",
            "ff_obvreference": c["reference"],
            "ff_applicationstatus": 100_000_001,
        }
        for n, c in enumerate(consents)
    ]
    async with http.post(f"{dynamics}/_sim/entities/ff_loanapplications", json=rows) as response:
        assert response.status == 201, await response.text()


async def _copy_floor(pool: asyncpg.Pool, in_flight: int) -> tuple[int, float, float]:
    """COPY the archived rows again under fresh versions: per application, then all at once."""
    async with pool.acquire() as conn:
        originals = [
            r["version_id"]
            for r in await conn.fetch(
                "select version_id from obv.report_versions order by version_id"
            )
        ]

        async def clone_versions(offset: int) -> dict[int, int]:
            mapping: dict[int, int] = {}
            for version_id in originals:
                mapping[version_id] = await conn.fetchval(
                    """
                    insert into obv.report_versions (application_id, version, obv_reference,
                        report_application_reference, payload_sha256, payload, generated_at,
                        first_available_at, last_available_at, account_count, balance_count,
                        transaction_count, archived_at, run_id)
                    select application_id, version + $2, obv_reference,
                        report_application_reference, payload_sha256, payload, generated_at,
                        first_available_at, last_available_at, account_count, balance_count,
                        transaction_count, archived_at, run_id
                    from obv.report_versions where version_id = $1
                    returning version_id
                    """,
                    version_id,
                    offset,
                )
                await conn.execute(
                    """
                    insert into obv.accounts
                    select $2, account_id, currency, account_type, account_subtype, nickname,
                        scheme_name, identification, holder_name, transaction_count,
                        credits_pence, debits_pence, balance_count, balances_pence
                    from obv.accounts where version_id = $1
                    """,
                    version_id,
                    mapping[version_id],
                )
            return mapping

        columns = ", ".join(TRANSACTION_COLUMNS)
        rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for record in await conn.fetch(f"select {columns} from obv.transactions"):
            rows[record["version_id"]].append(tuple(record))
        per_application = await clone_versions(1_000)
        all_at_once = await clone_versions(2_000)

    queue = iter(originals)

    async def copier() -> None:
        for version_id in queue:
            records = [(per_application[version_id], *r[1:]) for r in rows[version_id]]
            async with pool.acquire() as conn, conn.transaction():
                await conn.copy_records_to_table(
                    "transactions", schema_name="obv", columns=TRANSACTION_COLUMNS, records=records
                )

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(in_flight):
            group.create_task(copier())
    per_application_seconds = time.perf_counter() - started

    everything = [(all_at_once[v], *r[1:]) for v in originals for r in rows[v]]
    async with pool.acquire() as conn:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "transactions", schema_name="obv", columns=TRANSACTION_COLUMNS, records=everything
            )
        all_at_once_seconds = time.perf_counter() - started
    return len(everything), per_application_seconds, all_at_once_seconds


class _Stack:
    """The scratch database and the two simulators, with clients for them."""

    def __init__(
        self, pool: asyncpg.Pool, http: aiohttp.ClientSession, dynamics: str, obv: str
    ) -> None:
        self.pool = pool
        self.http = http
        self.dynamics_url = dynamics
        self.obv_url = obv
        self.dynamics = DynamicsClient(
            http,
            DynamicsSettings(
                base_url=f"{dynamics}/api/data/v9.2",
                token_url=f"{dynamics}/bench/oauth2/v2.0/token",
                scope=f"{dynamics}/.default",
            ),
        )
        self.obv = ObvClient(http, ObvSettings(base_url=obv, timeout_seconds=120))

    async def fetch(self, reference: str) -> Any:
        return await fetch_report(self.obv, reference)


@asynccontextmanager
async def _stack(in_flight: int) -> AsyncIterator[_Stack]:
    base = os.environ.get("FF_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"ff_bench_obv_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'create database "{name}"')
    dsn = urlparse(base)._replace(path=f"/{name}").geturl()
    workdir = Path(tempfile.mkdtemp(prefix="ff-obv-bench-"))
    dynamics_server, obv_server = _simulators(workdir)
    pool = await asyncpg.create_pool(dsn, min_size=in_flight + 1, max_size=in_flight + 2)
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn, "obv")
        async with aiohttp.ClientSession() as http:
            yield _Stack(pool, http, dynamics_server.url, obv_server.url)
    finally:
        await pool.close()
        dynamics_server.close()
        obv_server.close()
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.close()


def _resident_mb() -> float:
    """Resident memory once the garbage is collected and glibc has handed free pages back (so
    what is left is what is still held, not the allocator's spare room)."""
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak() -> bool:
    """Start the kernel's peak-resident count again from now (Linux 4.0+), if it lets us."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def memory_bench(transactions: int, reports: int) -> None:
    """One large report per run, several runs: resident memory after each and its peak."""
    async with _stack(1) as stack:
        settings = ObvArchiverSettings(max_in_flight=1, overlap_seconds=0)
        since = datetime.now(UTC)
        gc.collect()
        print(
            f"archiver process before any report: {_resident_mb():,.0f} MB resident, "
            f"peak {_peak_mb():,.0f} MB"
        )
        for n in range(1, reports + 1):
            extra = max(0, transactions - BASELINE_TRANSACTIONS)
            await _seed(stack.http, stack.dynamics_url, stack.obv_url, 1, extra, f"large-{n}")
            gc.collect()
            per_report = _reset_peak()
            summary = await run_archive(
                stack.pool,
                stack.dynamics,
                stack.fetch,
                settings,
                ArchiveRequest(trigger="command", since=since),
            )
            assert summary.status == "succeeded", summary.render()
            assert summary.archived == 1, summary.render()
            peak = _peak_mb()
            gc.collect()
            print(
                f"report {n}: {summary.transactions_archived:,} transactions archived in "
                f"{summary.elapsed_seconds:.1f}s; peak {peak:,.0f} MB resident "
                f"{'during this run' if per_report else 'so far'}, "
                f"{_resident_mb():,.0f} MB after it"
            )


async def bench(applications: int, transactions: int, in_flight: int) -> None:
    async with _stack(in_flight) as stack:
        pool = stack.pool
        started = time.perf_counter()
        extra = max(0, transactions - BASELINE_TRANSACTIONS)
        await _seed(stack.http, stack.dynamics_url, stack.obv_url, applications, extra)
        print(f"seeded {applications} applications in {time.perf_counter() - started:.1f}s")
        settings = ObvArchiverSettings(max_in_flight=in_flight, overlap_seconds=0)
        summary = await run_archive(
            pool, stack.dynamics, stack.fetch, settings, ArchiveRequest(trigger="command")
        )
        assert summary.status == "succeeded", summary.render()
        assert summary.archived == applications, summary.render()
        rate = summary.transactions_archived / summary.elapsed_seconds
        copied, per_app_seconds, bulk_seconds = await _copy_floor(pool, in_flight)
        assert copied == summary.transactions_archived
        floor = copied / per_app_seconds
        limit = copied / bulk_seconds
        print(
            f"{applications} applications, {summary.transactions_archived:,} transactions "
            f"({summary.transactions_archived / applications:,.0f} per report), "
            f"{in_flight} in flight"
        )
        print(
            f"obv-archiver run (discover, fetch over HTTP, hash, validate, write)"
            f"  {rate:>10,.0f} transactions/s  ({summary.elapsed_seconds:.1f}s)"
        )
        print(
            f"  floor: bare COPY of the same rows, one per application, {in_flight} connections"
            f"  {floor:>10,.0f} transactions/s  (archiver = {rate / floor:.1%} of floor)"
        )
        print(
            f"  limit: one COPY of all the same rows"
            f"  {limit:>10,.0f} transactions/s  (archiver = {rate / limit:.1%})"
        )


def main() -> None:
    configure_logging(level="warning", json=False)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=200)
    parser.add_argument("--transactions", type=int, default=1000, help="about, per report")
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument(
        "--large-report",
        type=int,
        metavar="TRANSACTIONS",
        help="measure memory instead: one report this large per run",
    )
    parser.add_argument("--reports", type=int, default=3, help="with --large-report: how many")
    args = parser.parse_args()
    if args.large_report:
        asyncio.run(memory_bench(args.large_report, args.reports))
    else:
        asyncio.run(bench(args.applications, args.transactions, args.in_flight))


if __name__ == "__main__":
    main()
