"""The API under a mixed load: the highest request rate it holds with p99 < 100 ms and no error.

    uv run python bench/mixed_bench.py [--seconds 60] [--start-rate 2] [--step 1.5]

Starts the real API (granian, one worker, as deployed) over its real dependencies: PostgreSQL
and Redis as the machine runs them (a scratch database, namespaced keys and queues), the MongoDB
stand-in and moto server (Cognito pools with real users and tokens, the audit key in KMS).
The load is open-loop, wrk2-like: sessions start on a fixed schedule whatever the answers do,
and each request's latency counts from when it was due, so a slow API cannot slow its own load.

- a customer journey (one of 20 customers, each with a real Cognito access token): start an
  application, save every step, submit it (with an Idempotency-Key), read its status, and ask
  for a quote — every request in turn, the next sent when the last answered;
- a staff member (an underwriter's token) reading the review queue: the first page under a
  filter (status, amount, newest first), then the next page by its cursor.

One staff session starts for each journey. The offered rate (requests per second over both) is
stepped up by ``--step`` from ``--start-rate`` until a step misses (p99 >= 100 ms, an error, or
the load fell behind its schedule); the figure is the last step held for the whole ``--seconds``.
The rate limits stay on: the bench raises them through the settings
(``FF_API_PUBLIC_RATE_LIMIT_PER_MINUTE``, ``FF_API_CUSTOMER_WRITE_RATE_LIMIT_PER_MINUTE``) as
every request comes from one address. The API's memory (resident set of granian and its worker)
is printed at start and end, and a quote figure on the same server (``wrk``, 32 connections,
every amount and term) beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aioboto3
import aiohttp

# Run as a script, so this folder is on the path and the quote bench's helpers import.
from api_bench import _create_or_drop, _granian, _wrk, cpu_seconds
from ff_shared.domain.application import STEPS, example_for
from ff_shared.domain.product import LoanProduct
from ff_shared.integrations.aws.cognito import (
    STAFF_ACCESS_TOKEN_MINUTES,
    PoolIds,
    access_token,
    ensure_pool,
    ensure_user,
)
from ff_standins.servers import ServerProcess, free_port, start_mongo_standin, start_moto

REGION = "eu-west-2"
PASSWORD = "Bench-Passw0rd!"
P99_LIMIT_MS = 100.0
CUSTOMERS = 20
QUOTES = [(a, t) for t in LoanProduct().terms() for a in LoanProduct().amounts()]
STEP_BODIES = {step: example_for(step) for step in STEPS}
QUEUE_FILTERS = (
    "status=in_review&sort=-submitted_at&limit=25",
    "status=in_review&status=declined&min_amount_pence=100000&limit=25",
    "sort=-amount&limit=25",
)


@dataclass
class StepResult:
    offered: float
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    late_starts: int = 0
    """Sessions the load generator itself started more than 100 ms after they were due."""
    unfinished: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + len(self.errors)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0

    @property
    def held(self) -> bool:
        return (
            not self.errors
            and self.unfinished == 0
            and self.late_starts == 0
            and self.p99 < P99_LIMIT_MS
            and self.rate >= 0.9 * self.offered
        )


class Load:
    """The two kinds of session against one API, recording every request into a step."""

    def __init__(
        self, http: aiohttp.ClientSession, base: str, customers: list[str], staff: str
    ) -> None:
        self.http = http
        self.base = base
        self.customers = customers
        self.staff = {"Authorization": f"Bearer {staff}"}
        self.turn = 0

    async def _call(
        self,
        result: StepResult,
        due: float,
        method: str,
        path: str,
        expect: int,
        headers: dict[str, str],
        body: Any = None,
        *,
        kind: str,
    ) -> dict[str, Any]:
        try:
            async with self.http.request(
                method, self.base + path, headers=headers, json=body
            ) as response:
                answer = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            result.errors.append(f"{method} {path}: {type(exc).__name__}")
            raise
        elapsed = (time.monotonic() - due) * 1000
        if status != expect:
            result.errors.append(f"{method} {path}: {status} {answer[:200]!r}")
            raise RuntimeError(status)
        result.latencies_ms.append(elapsed)
        result.by_kind.setdefault(kind, []).append(elapsed)
        parsed: dict[str, Any] = json.loads(answer) if answer else {}
        return parsed

    async def journey(self, result: StepResult, due: float) -> None:
        self.turn += 1
        customer = {"Authorization": f"Bearer {self.customers[self.turn % len(self.customers)]}"}
        application = await self._call(
            result, due, "POST", "/v1/applications", 201, customer, kind="create application"
        )
        path = f"/v1/applications/{application['id']}"
        for step, body in STEP_BODIES.items():
            await self._call(
                result,
                time.monotonic(),
                "PUT",
                f"{path}/steps/{step}",
                200,
                customer,
                body,
                kind="save a step",
            )
        submit = {**customer, "Idempotency-Key": uuid.uuid4().hex}
        await self._call(
            result, time.monotonic(), "POST", f"{path}/submit", 200, submit, kind="submit"
        )
        await self._call(result, time.monotonic(), "GET", path, 200, customer, kind="status")
        amount, term = QUOTES[self.turn % len(QUOTES)]
        quote = {"amount_pence": amount, "term_months": term}
        await self._call(
            result, time.monotonic(), "POST", "/v1/quotes", 200, {}, quote, kind="quote"
        )

    async def queue_reads(self, result: StepResult, due: float) -> None:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        self.turn += 1
        query = QUEUE_FILTERS[self.turn % len(QUEUE_FILTERS)]
        page = await self._call(
            result, due, "GET", f"/v1/staff/applications?{query}", 200, self.staff, kind="queue"
        )
        cursor = page.get("next_cursor")
        if cursor:
            await self._call(
                result,
                time.monotonic(),
                "GET",
                f"/v1/staff/applications?{query}&cursor={cursor}",
                200,
                self.staff,
                kind="queue, next page",
            )

    @staticmethod
    def requests_per_cycle() -> int:
        """One journey (create, each step, submit, status, quote) and one queue session (two
        pages): the cycle the schedule repeats."""
        return 1 + len(STEPS) + 3 + 2

    async def run(self, offered: float, seconds: float) -> StepResult:
        result = StepResult(offered=offered, seconds=seconds)
        interval = self.requests_per_cycle() / offered
        tasks: list[asyncio.Task[None]] = []
        started = time.monotonic()
        cycle = 0
        while True:
            due = started + cycle * interval
            if due >= started + seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.1:
                result.late_starts += 1
            tasks.append(asyncio.create_task(self._quietly(self.journey(result, due))))
            tasks.append(
                asyncio.create_task(self._quietly(self.queue_reads(result, due + interval / 2)))
            )
            cycle += 1
        _, pending = await asyncio.wait(tasks, timeout=10) if tasks else (set(), set())
        result.unfinished = len(pending)
        for task in pending:
            task.cancel()
        result.seconds = max(seconds, time.monotonic() - started - 10 * bool(pending))
        return result

    @staticmethod
    async def _quietly(session: Any) -> None:
        # A failed request is already recorded; the session it belonged to stops there.
        try:
            await session
        except (aiohttp.ClientError, TimeoutError, RuntimeError):
            return


def rss_mb(server: ServerProcess) -> float:
    """Resident memory of the server and its workers (its process group), in MB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != server.process.pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError):
            continue
    return total / 1024


async def _seed_aws(moto_url: str, run_id: str) -> tuple[PoolIds, PoolIds, str, list[str], str]:
    session = aioboto3.Session(
        region_name=REGION, aws_access_key_id="bench", aws_secret_access_key="bench"
    )
    async with session.client("cognito-idp", endpoint_url=moto_url) as cognito:
        customer_pool = await ensure_pool(cognito, f"bench-customers-{run_id}")
        staff_pool = await ensure_pool(
            cognito, f"bench-staff-{run_id}", access_token_minutes=STAFF_ACCESS_TOKEN_MINUTES
        )
        customers = []
        for n in range(CUSTOMERS):
            email = f"customer.{n}.{run_id}@example.com"
            await ensure_user(cognito, customer_pool.pool_id, email, PASSWORD)
            customers.append(await access_token(cognito, customer_pool, email, PASSWORD))
        email = f"underwriter.{run_id}@example.com"
        await ensure_user(cognito, staff_pool.pool_id, email, PASSWORD, groups=("underwriter",))
        staff = await access_token(cognito, staff_pool, email, PASSWORD)
    async with session.client("kms", endpoint_url=moto_url) as kms:
        key = await kms.create_key(Description="audit data keys")
        alias = f"alias/ff-audit-{run_id}"
        await kms.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])
    return customer_pool, staff_pool, alias, customers, staff


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    run_id = uuid.uuid4().hex[:10]
    postgres_base = os.environ.get("FF_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    database = f"ff_bench_{run_id}"
    await _create_or_drop(f"{postgres_base}/postgres", database, create=True)
    mongo = start_mongo_standin(workdir)
    moto = start_moto(workdir)
    api: ServerProcess | None = None
    try:
        customer_pool, staff_pool, audit_key, customers, staff = await _seed_aws(moto.url, run_id)
        env = {
            "FF_ENVIRONMENT": "local",
            "FF_LOG_LEVEL": "warning",
            "FF_MONGO_URL": f"mongodb://127.0.0.1:{mongo.port}",
            "FF_MONGO_DATABASE": f"ff_bench_{run_id}",
            "FF_REDIS_URL": os.environ.get("FF_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "FF_REDIS_QUEUE_NAME": f"ff:bench:{run_id}:core",
            "FF_LMS_QUEUE_NAME": f"ff:bench:{run_id}:lms",
            "FF_POSTGRES_DSN": f"{postgres_base}/{database}",
            "FF_AWS_REGION": REGION,
            "FF_AWS_ENDPOINT_URL": moto.url,
            "FF_AWS_AUDIT_KEY_ID": audit_key,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "FF_COGNITO_CUSTOMER_POOL_ID": customer_pool.pool_id,
            "FF_COGNITO_CUSTOMER_CLIENT_ID": customer_pool.client_id,
            "FF_COGNITO_STAFF_POOL_ID": staff_pool.pool_id,
            "FF_COGNITO_STAFF_CLIENT_ID": staff_pool.client_id,
            "FF_COGNITO_JWKS_BASE_URL": moto.url,
            # Every request comes from this one address: the limits are raised above the load
            # through the settings, and stay on (each request still counts in Redis).
            "FF_API_RATE_LIMIT_KEY_PREFIX": f"ff:bench:{run_id}:ratelimit",
            "FF_API_PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000000",
            "FF_API_CUSTOMER_WRITE_RATE_LIMIT_PER_MINUTE": "1000000000",
        }
        port = free_port()
        api = _granian("ff_api.app:app_from_env", port, env, workdir, factory=True)
        base = f"http://127.0.0.1:{port}"
        memory_start = rss_mb(api)
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            load = Load(http, base, customers, staff)
            # Warm-up, which also fills the review queue with submitted applications.
            warm = await load.run(min(args.start_rate, 20.0), 3.0)
            if warm.errors:
                raise SystemExit(f"the API refused the warm-up load: {warm.errors[:3]}")
            best: StepResult | None = None
            offered = args.start_rate
            while True:
                servers = {"API": api, "MongoDB stand-in": mongo, "moto": moto}
                cpu_before = {name: cpu_seconds(server) for name, server in servers.items()}
                step = await load.run(offered, args.seconds)
                cpu = {
                    name: (cpu_seconds(server) - cpu_before[name]) / max(1, step.requests) * 1000
                    for name, server in servers.items()
                }
                verdict = "held" if step.held else "missed"
                print(
                    f"  offered {offered:>7,.0f} req/s: {step.rate:>7,.0f} req/s answered, "
                    f"p99 {step.p99:.1f} ms, {len(step.errors)} errors, "
                    f"{step.late_starts} late starts -> {verdict}",
                    flush=True,
                )
                print(
                    "    median ms: "
                    + ", ".join(
                        f"{kind} {statistics.median(values):.1f}"
                        for kind, values in step.by_kind.items()
                    ),
                    flush=True,
                )
                print(
                    "    CPU ms per request: "
                    + ", ".join(f"{name} {ms:.2f}" for name, ms in cpu.items()),
                    flush=True,
                )
                for error in step.errors[:3]:
                    print(f"    {error}", flush=True)
                if not step.held:
                    break
                best = step
                offered *= args.step
                await asyncio.sleep(2)  # the last step's stragglers and queue drain
        memory_end = rss_mb(api)
        if best is None:
            print(
                f"API under a mixed load (customer journeys + staff queue reads, "
                f"{args.seconds:.0f} s)  {0:>8,.0f} req/s  p99 - ms: no step held from "
                f"{args.start_rate:,.0f} req/s (p99 < 100 ms, no error)"
            )
        else:
            print(
                f"API under a mixed load (customer journeys + staff queue reads, "
                f"{best.seconds:.0f} s)  {best.rate:>8,.0f} req/s  p99 {best.p99:.1f} ms, "
                f"{best.requests:,} requests, 0 errors"
            )
        print(
            f"  API memory (granian + worker RSS)  start {memory_start:,.0f} MB  "
            f"end {memory_end:,.0f} MB"
        )
        if shutil.which("wrk") is not None:
            rate, p99 = _wrk(f"{base}/v1/quotes", args.quote_seconds, 32, post=True)
            print(
                f"  beside it: POST /v1/quotes on the same server (wrk, 32 connections, every "
                f"amount and term)  {rate:>8,.0f} req/s  p99 {p99:.1f} ms  "
                f"(API memory after: {rss_mb(api):,.0f} MB)"
            )
    finally:
        if api is not None:
            api.close()
        moto.close()
        mongo.close()
        await _create_or_drop(f"{postgres_base}/postgres", database, create=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each step")
    parser.add_argument("--start-rate", type=float, default=2.0, help="first offered req/s")
    parser.add_argument("--step", type=float, default=1.5, help="factor between steps")
    parser.add_argument("--quote-seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ff-bench-mixed-") as tmp:
        asyncio.run(bench(args, Path(tmp)))


if __name__ == "__main__":
    main()
