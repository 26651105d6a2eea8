"""Decisions per second and quotes per second, each beside a floor measured in the same run.

    uv run python bench/api_bench.py [--seconds 5] [--connections 32]

1. The decision engine (pure function) against the floor of merely round-tripping the same
   application through msgspec (the least work any engine must do to look at its input).
2. ``POST /v1/quotes`` through the real app under granian, against a bare ASGI endpoint returning
   the same bytes on the same server, and nginx returning the same bytes (the machine's limit);
   each granian server's CPU time per request is printed beside its rate.
   Load comes from ``wrk`` on loopback. Needs ``apt-get install -y nginx wrk``, Redis and
   PostgreSQL on 127.0.0.1 (a scratch database); MongoDB comes from the embedded stand-in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import msgspec

from ff_shared.domain.application import STEPS, ApplicationData, example_for, validate_step
from ff_shared.domain.decision import decide
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.reassessment import reassess
from ff_shared.integrations.obv import schemas as wire
from ff_shared.integrations.obv.mapping import report_from_wire
from ff_standins.obv.households import generate_report
from ff_standins.servers import ServerProcess, free_port, start_mongo_standin, wait_for_port

QUOTE_BODY = json.dumps({"amount_pence": 100_000, "term_months": 12})


def _rate(fn: object, seconds: float) -> float:
    call = fn  # type: ignore[assignment]
    count = 0
    started = time.process_time()
    deadline = started + seconds
    while time.process_time() < deadline:
        for _ in range(100):
            call()  # type: ignore[operator]
        count += 100
    return count / (time.process_time() - started)


def bench_decisions(seconds: float) -> tuple[float, float]:
    product = LoanProduct()
    today = date(2026, 11, 28)
    steps = {s: validate_step(s, example_for(s), today=today, product=product) for s in STEPS}
    data = ApplicationData(**steps)
    encoded = msgspec.json.encode(data)
    engine = _rate(lambda: decide(data, product=product, today=today), seconds)
    floor = _rate(
        lambda: msgspec.json.decode(msgspec.json.encode(data), type=ApplicationData), seconds
    )
    assert msgspec.json.decode(encoded, type=ApplicationData) == data
    return engine, floor


def bench_verified_decisions(seconds: float) -> dict[str, float]:
    """The engine re-deciding on a year of verified open-banking data, as the open-banking
    worker does: from the provider's report (the simulator's 12-month household) as fetched."""
    product = LoanProduct()
    today = date(2026, 11, 28)
    steps = {s: validate_step(s, example_for(s), today=today, product=product) for s in STEPS}
    data = ApplicationData(**steps)
    raw = msgspec.json.encode(
        generate_report(
            reference="OBV-BENCH-1",
            application_reference="APP-BENCH-1",
            household="salaried",
            generated_at=datetime(2026, 11, 28, 9, tzinfo=UTC),
            self_url="http://127.0.0.1/reports/OBV-BENCH-1",
        )
    )
    mapped = report_from_wire(msgspec.json.decode(raw, type=wire.Report), raw=raw)

    def on_summary() -> object:
        return reassess(
            data, product=product, today=today, summary=mapped.summary, obv_reference="OBV-1"
        )

    def from_report() -> object:
        report = report_from_wire(msgspec.json.decode(raw, type=wire.Report), raw=raw)
        return reassess(
            data, product=product, today=today, summary=report.summary, obv_reference="OBV-1"
        )

    return {
        "transactions": float(len(mapped.transactions)),
        "bytes": float(len(raw)),
        "on_summary": _rate(on_summary, seconds),
        "from_report": _rate(from_report, seconds),
        "decode_floor": _rate(lambda: msgspec.json.decode(raw, type=wire.Report), seconds),
    }


def _quote_bodies() -> list[str]:
    """Every amount and term the product offers, so no request repeats a recent one."""
    product = LoanProduct()
    return [
        json.dumps({"amount_pence": amount, "term_months": term})
        for term in product.terms()
        for amount in product.amounts()
    ]


_LATENCY_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, seconds: float, connections: int, post: bool) -> tuple[float, float]:
    """Requests per second and p99 latency in ms; POSTs cycle through every product quote."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
    with tempfile.TemporaryDirectory() as tmp:
        if post:
            script = Path(tmp) / "post.lua"
            bodies = ",\n".join(f"  '{body}'" for body in _quote_bodies())
            script.write_text(
                f"local bodies = {{\n{bodies}\n}}\n"
                "local i = 0\n"
                "request = function()\n"
                "  i = i % #bodies + 1\n"
                '  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},'
                " bodies[i])\n"
                "end\n"
            )
            args += ["-s", str(script)]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url} answered {non2xx.group(1)} errors under load:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    assert match, out
    assert p99, out
    return float(match.group(1)), float(p99.group(1)) * _LATENCY_UNITS[p99.group(2)]


def _granian(
    target: str, port: int, env: dict[str, str], workdir: Path, factory: bool, workers: int = 1
) -> ServerProcess:
    """granian as the API is deployed (uvloop, which the API depends on), for the API and its
    floors alike."""
    argv = [
        str(Path(sys.executable).parent / "granian"),
        "--interface",
        "asgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--log-level",
        "warning",
    ]
    argv += ["--factory", target] if factory else [target]
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        # A shared machine under load can take well over the default to import the API.
        return ServerProcess(
            f"granian-{port}", argv, port=port, workdir=workdir, start_timeout=120.0
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def _create_or_drop(admin_url: str, name: str, create: bool) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        if create:
            await admin.execute(f'create database "{name}"')
        else:
            await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL (the API migrates its tables at start-up),
    dropped afterwards; ``FF_BENCH_POSTGRES_URL`` names the server."""
    base = os.environ.get("FF_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_create_or_drop(f"{base}/postgres", name, create=True))
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_create_or_drop(f"{base}/postgres", name, create=False))


def cpu_seconds(server: ServerProcess) -> float:
    """CPU time (user + system) used so far by the server and its workers (its process group).

    Per request, it is a figure a loaded machine blurs less than a rate: other processes take
    turns on the cores, but not this process's CPU time."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != server.process.pid:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _kill(server: ServerProcess) -> None:
    server.close()


def bench_http(
    seconds: float, connections: int, workdir: Path, rounds: int, workers: int = 1
) -> dict[str, tuple[float, float, float]]:
    """Each server's best round: requests per second, p99 in ms, and its CPU time per request
    in microseconds; nginx's CPU is not measured (0)."""
    results: dict[str, tuple[float, float, float]] = {}
    database = contextlib.ExitStack()
    dsn = database.enter_context(scratch_database("ff_bench_quotes"))
    mongo = start_mongo_standin(workdir)
    env = {
        "FF_POSTGRES_DSN": dsn,
        "FF_ENVIRONMENT": "local",
        "FF_LOG_LEVEL": "error",
        "FF_MONGO_URL": f"mongodb://127.0.0.1:{mongo.port}",
        "FF_MONGO_DATABASE": "bench",
        "FF_COGNITO_CUSTOMER_POOL_ID": "bench",
        "FF_COGNITO_CUSTOMER_CLIENT_ID": "bench",
        "FF_COGNITO_STAFF_POOL_ID": "bench",
        "FF_COGNITO_STAFF_CLIENT_ID": "bench",
        # One client sends every request: the per-address limit is raised out of the way.
        "FF_API_PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000000",
        "FF_API_RATE_LIMIT_KEY_PREFIX": f"ff:bench:{os.getpid()}:ratelimit",
    }
    try:
        api_port = free_port()
        api = _granian(
            "ff_api.app:app_from_env", api_port, env, workdir, factory=True, workers=workers
        )
        servers: list[ServerProcess] = []
        try:
            api_url = f"http://127.0.0.1:{api_port}/v1/quotes"
            request = urllib.request.Request(
                api_url,
                data=QUOTE_BODY.encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read()
            bare = workdir / "bare_asgi.py"
            bare.write_text(
                textwrap.dedent(f"""
                BODY = {body!r}
                HEADERS = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(BODY)).encode()),
                ]
                async def app(scope, receive, send):
                    if scope["type"] != "http":
                        return
                    more = True
                    while more:
                        more = (await receive()).get("more_body", False)
                    await send({{"type": "http.response.start", "status": 200, "headers": HEADERS}})
                    await send({{"type": "http.response.body", "body": BODY}})
            """)
            )
            bare_port = free_port()
            servers.append(
                _granian(
                    "bare_asgi:app",
                    bare_port,
                    {**env, "PYTHONPATH": str(workdir)},
                    workdir,
                    factory=False,
                    workers=workers,
                )
            )
            bare_url = f"http://127.0.0.1:{bare_port}/"
            # The framework's own floor: Litestar answering the same bytes, with nothing else.
            (workdir / "bare_litestar.py").write_text(
                textwrap.dedent(f"""
                from litestar import Litestar, post
                BODY = {body!r}
                @post("/", status_code=200, media_type="application/json")
                async def answer() -> bytes:
                    return BODY
                app = Litestar([answer])
            """)
            )
            litestar_port = free_port()
            servers.append(
                _granian(
                    "bare_litestar:app",
                    litestar_port,
                    {**env, "PYTHONPATH": str(workdir)},
                    workdir,
                    factory=False,
                    workers=workers,
                )
            )
            litestar_url = f"http://127.0.0.1:{litestar_port}/"
            targets = (
                ("api", api_url, api),
                ("bare_asgi", bare_url, servers[0]),
                ("bare_litestar", litestar_url, servers[1]),
            )
            for _, url, _ in targets:
                _wrk(url, 1, connections, post=True)  # warm-up
            # The machine is shared, so the two are measured in alternating rounds and each
            # keeps its best round: a slow spell then costs both, not whichever ran in it.
            for _ in range(rounds):
                for name, url, server in targets:
                    before = cpu_seconds(server)
                    rate, p99 = _wrk(url, seconds, connections, post=True)
                    cpu_us = (cpu_seconds(server) - before) / (rate * int(seconds)) * 1e6
                    if rate > results.get(name, (0.0, 0.0, 0.0))[0]:
                        results[name] = (rate, p99, cpu_us)
        finally:
            _kill(api)
            for server in servers:
                _kill(server)
        results["nginx"] = (*_nginx(body, seconds, connections, workdir), 0.0)
    finally:
        mongo.close()
        database.close()
    return results


def _nginx(body: bytes, seconds: float, connections: int, workdir: Path) -> tuple[float, float]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = workdir / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    (prefix / "html").mkdir(exist_ok=True)
    (prefix / "html" / "quote.json").write_bytes(body)
    os.chmod(prefix, 0o755)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        textwrap.dedent(f"""
        worker_processes 1;
        pid {prefix}/nginx.pid;
        error_log {prefix}/logs/error.log warn;
        events {{ worker_connections 1024; }}
        http {{
            access_log off;
            client_body_temp_path /tmp/ff-bench-nginx-body;
            proxy_temp_path /tmp/ff-bench-nginx-proxy;
            fastcgi_temp_path /tmp/ff-bench-nginx-fastcgi;
            uwsgi_temp_path /tmp/ff-bench-nginx-uwsgi;
            scgi_temp_path /tmp/ff-bench-nginx-scgi;
            server {{
                listen 127.0.0.1:{port};
                location / {{
                    default_type application/json;
                    error_page 405 =200 $uri;
                    root {prefix}/html;
                    try_files /quote.json =404;
                }}
            }}
        }}
    """)
    )
    proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"])
    try:
        wait_for_port("127.0.0.1", port, name="nginx")
        _wrk(f"http://127.0.0.1:{port}/", 1, connections, post=False)
        return _wrk(f"http://127.0.0.1:{port}/", seconds, connections, post=False)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="alternating API/bare rounds")
    parser.add_argument(
        "--workers", type=int, default=1, help="granian workers, for the API and its floors"
    )
    parser.add_argument("--no-http", action="store_true", help="only the engine's figures")
    parser.add_argument("--http-only", action="store_true", help="only the HTTP figures")
    args = parser.parse_args()
    if args.http_only:
        _print_http(args)
        return
    engine, floor = bench_decisions(args.seconds)
    print(f"decision engine      {engine:>12,.0f} decisions/s")
    print(
        f"  floor: msgspec round trip of the same application {floor:>12,.0f} /s "
        f"(engine = {engine / floor:.1%} of floor)"
    )
    verified = bench_verified_decisions(args.seconds)
    print(
        f"decision engine, verified by open banking ({verified['transactions']:,.0f} transactions"
        f" over 12 months)  {verified['on_summary']:>10,.0f} decisions/s"
    )
    print(
        f"  from the report as fetched ({verified['bytes'] / 1000:,.0f} kB: decode, map every "
        f"transaction, decide)  {verified['from_report']:>10,.0f} /s"
    )
    print(
        f"  floor: msgspec decode of the same report  {verified['decode_floor']:>10,.0f} /s "
        f"(from report = {verified['from_report'] / verified['decode_floor']:.1%} of floor)"
    )
    if args.no_http:
        return
    _print_http(args)


def _print_http(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y nginx wrk")
    with tempfile.TemporaryDirectory(prefix="ff-bench-") as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers run as nobody
        http = bench_http(args.seconds, args.connections, Path(tmp), args.rounds, args.workers)
    (api, api_p99, api_cpu), (bare, bare_p99, bare_cpu), (nginx, nginx_p99, _) = (
        http["api"],
        http["bare_asgi"],
        http["nginx"],
    )
    workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
    print(
        f"POST /v1/quotes (granian + uvloop, {workers}, {args.connections} connections, every "
        f"amount and term)  {api:>10,.0f} req/s  p99 {api_p99:.1f} ms  CPU {api_cpu:,.0f} us/req"
    )
    print(
        f"  floor: bare ASGI endpoint, same bytes, same server  {bare:>10,.0f} req/s "
        f" p99 {bare_p99:.1f} ms  CPU {bare_cpu:,.0f} us/req (api = {api / bare:.1%}; "
        f"by CPU per request {bare_cpu / api_cpu:.1%})"
    )
    litestar, litestar_p99, litestar_cpu = http["bare_litestar"]
    print(
        f"  floor: bare Litestar app, same bytes, same server  {litestar:>10,.0f} req/s "
        f" p99 {litestar_p99:.1f} ms  CPU {litestar_cpu:,.0f} us/req (api = {api / litestar:.1%}; "
        f"Litestar alone = {litestar / bare:.1%} of bare ASGI)"
    )
    print(
        f"  limit: nginx serving the same bytes                 {nginx:>10,.0f} req/s "
        f" p99 {nginx_p99:.1f} ms (api = {api / nginx:.1%})"
    )


if __name__ == "__main__":
    main()
