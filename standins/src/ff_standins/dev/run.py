"""What ``ff dev`` does: the whole platform on one machine, with embedded stand-ins where nothing
real runs (its arguments are in :mod:`ff_standins.dev.command`, which imports this only to run).

Stores are used where they answer (``FF_MONGO_URL``, ``FF_REDIS_URL``, ``FF_POSTGRES_DSN``); a
MongoDB wire-protocol server and moto server (AWS) are started otherwise. Every store starts
empty, together (:mod:`ff_standins.dev.fresh`); demo users and data are seeded, then the API and
the workers run until interrupted, each restarted if it exits (:mod:`ff_standins.dev.supervise`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import aioboto3
import asyncpg
import msgspec

from ff_shared.errors import SettingsError
from ff_shared.integrations.aws.cognito import (
    STAFF_ACCESS_TOKEN_MINUTES,
    PoolIds,
    ensure_pool,
    ensure_user,
)
from ff_shared.settings import Settings, load_settings, settings_to_env
from ff_shared.stores.mongo import close_mongo, connect_mongo
from ff_shared.stores.mongo.customers import ensure_profile
from ff_standins.dev.adp import ADP_WORKER, seed_adp
from ff_standins.dev.command import API_PORT
from ff_standins.dev.fresh import LOCAL_REDIS_URL, reset_stores
from ff_standins.dev.gateway import gateway_processes, seed_gateway
from ff_standins.dev.lms import LMS_PROCESSES, seed_lms
from ff_standins.dev.loans import ANCHOR_LMS_SIMULATOR, seed_loan_book
from ff_standins.dev.portals import return_urls, start_portals
from ff_standins.dev.privacy import seed_audit_key, seed_erasure_demo
from ff_standins.dev.review_demo import seed_documents_and_email, seed_review_demo
from ff_standins.dev.stack import Seeder, Stack
from ff_standins.dev.supervise import Supervised, starter, stop_all, supervise
from ff_standins.dev.tracker import TRACKER_PROCESSOR, seed_tracker
from ff_standins.servers import (
    ServerProcess,
    port_open,
    start_mongo_standin,
    start_moto,
)
from ff_workers.cli.devstate import (
    DEMO_PASSWORD,
    DevState,
    PoolState,
    clear_state,
    state_dir,
    write_state,
)
from ff_workers.cli.errors import CommandError

DEMO_CUSTOMERS = ["demo.customer@example.com", "demo.customer2@example.com"]
DEMO_STAFF = {
    "underwriter@example.com": ["underwriter"],
    "senior.underwriter@example.com": ["senior_underwriter"],
    "senior.underwriter2@example.com": ["senior_underwriter"],
    "operations@example.com": ["operations"],
    "analyst@example.com": ["analyst"],
    "admin@example.com": ["admin"],
}
CUSTOMER_POOL = "ff-customers"
STAFF_POOL = "ff-staff"

DEFAULT_PORTS = {"api": API_PORT, "moto": 8100, "mongo": 27017}


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


async def seed_customer_pool(stack: Stack) -> None:
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("cognito-idp", endpoint_url=stack.aws_endpoint_url) as cognito:
        ids: PoolIds = await ensure_pool(cognito, CUSTOMER_POOL)
        subs = {
            email: await ensure_user(cognito, ids.pool_id, email, DEMO_PASSWORD)
            for email in DEMO_CUSTOMERS
        }
    stack.pools["customer"] = PoolState(
        pool_id=ids.pool_id, client_id=ids.client_id, users=list(subs)
    )
    stack.env["FF_COGNITO_CUSTOMER_POOL_ID"] = ids.pool_id
    stack.env["FF_COGNITO_CUSTOMER_CLIENT_ID"] = ids.client_id
    stack.env["FF_COGNITO_JWKS_BASE_URL"] = stack.aws_endpoint_url
    settings = load_settings(stack.env)
    mongo = await connect_mongo(settings.mongo)
    try:
        now = datetime.now(UTC)
        for email, sub in subs.items():
            await ensure_profile(sub, email=email, now=now)
    finally:
        await close_mongo(mongo)


async def seed_staff_pool(stack: Stack) -> None:
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("cognito-idp", endpoint_url=stack.aws_endpoint_url) as cognito:
        ids: PoolIds = await ensure_pool(
            cognito, STAFF_POOL, access_token_minutes=STAFF_ACCESS_TOKEN_MINUTES
        )
        for email, groups in DEMO_STAFF.items():
            await ensure_user(cognito, ids.pool_id, email, DEMO_PASSWORD, groups=groups)
    stack.pools["staff"] = PoolState(
        pool_id=ids.pool_id, client_id=ids.client_id, users=list(DEMO_STAFF)
    )
    stack.env["FF_COGNITO_STAFF_POOL_ID"] = ids.pool_id
    stack.env["FF_COGNITO_STAFF_CLIENT_ID"] = ids.client_id


async def ensure_postgres_database(stack: Stack) -> None:
    dsn = stack.env["FF_POSTGRES_DSN"]
    parsed = urlparse(dsn)
    database = parsed.path.lstrip("/")
    admin_dsn = parsed._replace(path="/postgres").geturl()
    try:
        conn = await asyncpg.connect(admin_dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CommandError(
            f"PostgreSQL is not reachable at {parsed.hostname}:{parsed.port}: {exc}"
        ) from exc
    try:
        exists = await conn.fetchval("select 1 from pg_database where datname = $1", database)
        if not exists:
            await conn.execute(f'create database "{database}"')
    finally:
        await conn.close()


# Features add their seeders here, in order.
SEEDERS: list[Seeder] = [
    ensure_postgres_database,
    seed_audit_key,
    seed_staff_pool,
    seed_customer_pool,
    seed_erasure_demo,
    seed_loan_book,
    seed_documents_and_email,
    seed_review_demo,
    seed_lms,
    seed_tracker,
    seed_gateway,
    seed_adp,
]


def api_argv(port: int, host: str = "127.0.0.1") -> list[str]:
    return [
        str(Path(sys.executable).parent / "granian"),
        "--interface",
        "asgi",
        "--factory",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "ff_api.app:app_from_env",
    ]


# Long-running processes of the stack besides the API: (name, argv). Features add workers here.
WORKERS: list[tuple[str, list[str]]] = [
    ("worker-core", [str(Path(sys.executable).parent / "ff"), "worker", "core"]),
    ANCHOR_LMS_SIMULATOR,
    # Dynamics 365 and Open Banking Vision simulators, on the ports of FF_DYNAMICS_BASE_URL (8101)
    # and FF_OBV_BASE_URL (8103).
    ("dynamics-sim", [sys.executable, "-m", "ff_standins.dynamics.simulator"]),
    ("obv-sim", [sys.executable, "-m", "ff_standins.obv.simulator"]),
    # Google Analytics Data API (8105) and Claude's Messages API (8106) for the staff analytics.
    ("google-analytics-sim", [sys.executable, "-m", "ff_standins.google_analytics.simulator"]),
    ("claude-sim", [sys.executable, "-m", "ff_standins.claude.simulator"]),
    ("payments-sim", [sys.executable, "-m", "ff_standins.payments.simulator"]),  # 8104
    ("worker-obv-archiver", [str(Path(sys.executable).parent / "ff"), "worker", "obv-archiver"]),
    *LMS_PROCESSES,
    TRACKER_PROCESSOR,
    *gateway_processes(),
    ADP_WORKER,
]


def _base_env(api_port: int) -> dict[str, str]:
    """The FF_ environment the stack starts from, with local defaults for what is unset."""
    env = {k: v for k, v in os.environ.items() if k.startswith("FF_")}
    env.setdefault("FF_ENVIRONMENT", "local")
    env.setdefault("FF_LOG_JSON", "true")
    env.setdefault("AWS_ACCESS_KEY_ID", "local")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    env.setdefault("FF_API_PORT", str(api_port))
    env.setdefault("FF_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/fairfinance")
    env.setdefault("FF_REDIS_URL", LOCAL_REDIS_URL)
    return env


def _ensure_mongo(env: dict[str, str], logdir: Path, standins: list[ServerProcess]) -> bool:
    """FF_MONGO_URL's server, else one already on the default port, else the embedded stand-in
    (True: the stand-in, which starts empty)."""
    if "FF_MONGO_URL" in env:
        host, port = _host_port(env["FF_MONGO_URL"], 27017)
        if not port_open(host, port):
            raise CommandError(f"FF_MONGO_URL points at {host}:{port}, which does not answer")
        print(f"mongo      using {host}:{port}")
        return False
    elif port_open("127.0.0.1", DEFAULT_PORTS["mongo"]):
        env["FF_MONGO_URL"] = f"mongodb://127.0.0.1:{DEFAULT_PORTS['mongo']}"
        print(f"mongo      using the server already on 127.0.0.1:{DEFAULT_PORTS['mongo']}")
        return False
    else:
        mongo = start_mongo_standin(logdir, DEFAULT_PORTS["mongo"])
        standins.append(mongo)
        env["FF_MONGO_URL"] = f"mongodb://127.0.0.1:{mongo.port}"
        print(f"mongo      started the embedded stand-in on 127.0.0.1:{mongo.port}")
        return True


def _ensure_aws(env: dict[str, str], logdir: Path, standins: list[ServerProcess]) -> None:
    """FF_AWS_ENDPOINT_URL when set, else moto server on its default port."""
    if "FF_AWS_ENDPOINT_URL" in env:
        return
    if port_open("127.0.0.1", DEFAULT_PORTS["moto"]):
        raise CommandError(f"port {DEFAULT_PORTS['moto']} is taken: is another `ff dev` running?")
    moto = start_moto(logdir, DEFAULT_PORTS["moto"])
    standins.append(moto)
    env["FF_AWS_ENDPOINT_URL"] = moto.url
    print(f"aws        started moto server on {moto.url}")


def _check_redis(env: dict[str, str]) -> None:
    host, port = _host_port(env["FF_REDIS_URL"], 6379)
    if not port_open(host, port):
        raise CommandError(f"Redis is not reachable at {host}:{port}")


def _seed(env: dict[str, str]) -> Stack:
    """Run every seeder in order; the stack they return holds what the processes need."""
    stack = Stack(
        env=env,
        pools={},
        aws_endpoint_url=env["FF_AWS_ENDPOINT_URL"],
        aws_region=env.get("FF_AWS_REGION", "eu-west-2"),
    )

    async def seed() -> None:
        for seeder in SEEDERS:
            await seeder(stack)

    asyncio.run(seed())
    return stack


def _child_env(stack: Stack) -> tuple[Settings, dict[str, str]]:
    """The seeded settings, checked, and the environment every process of the stack runs with."""
    try:
        settings = load_settings(stack.env)
    except SettingsError as exc:
        raise CommandError(str(exc)) from exc
    child_env = {
        **settings_to_env(settings),
        **{k: v for k, v in stack.env.items() if not k.startswith("FF_")},
    }
    return settings, child_env


def _start_stack(
    settings: Settings,
    child_env: dict[str, str],
    logdir: Path,
    processes: list[Supervised],
    *,
    workers: bool,
) -> None:
    """The API, then (unless ``workers`` is false) the workers and simulators."""
    api_port = settings.api.port
    if port_open("127.0.0.1", api_port):
        raise CommandError(f"port {api_port} is taken: is another `ff dev` running?")
    api_start = starter("api", api_argv(api_port, settings.api.host), child_env, logdir)
    processes.append(Supervised("api", api_start))
    if workers:
        for name, argv in WORKERS:
            processes.append(Supervised(name, starter(name, argv, child_env, logdir)))
    _wait_for_api(processes[0], api_port, logdir)


API_START_SECONDS = 180.0
"""How long the API may take to listen: its imports alone take over a minute on a busy 2-core
machine. An API that exits while starting fails the start at once."""


def _wait_for_api(api: Supervised, port: int, logdir: Path) -> None:
    deadline = time.monotonic() + API_START_SECONDS
    while not port_open("127.0.0.1", port):
        code = api.proc.poll()
        if code is not None:
            raise CommandError(f"the API exited ({code}) while starting: see {logdir / 'api.log'}")
        if time.monotonic() > deadline:
            raise CommandError(
                f"the API did not listen on 127.0.0.1:{port} within {API_START_SECONDS:.0f}s: "
                f"see {logdir / 'api.log'}"
            )
        time.sleep(0.1)


def pid_recorder(state: DevState) -> Callable[[list[Supervised]], None]:
    """Writes the state file with the pids the supervised processes have now: at start and
    whenever the supervisor started one again, so ``.ff/dev.json`` never names a dead process."""

    def record(processes: list[Supervised]) -> None:
        write_state(msgspec.structs.replace(state, pids=[p.proc.pid for p in processes]))

    return record


def _announce(state: DevState, stack: Stack, names: list[str], logdir: Path) -> None:
    print(f"api        {state.api_url}  (OpenAPI: {state.api_url}/schema/openapi.json)")
    for name in names:
        print(f"worker     {name}")
    print(f"logs       {logdir}")
    users = ", ".join(u for p in stack.pools.values() for u in p.users)
    print(f"demo users {users}\n           `ff token EMAIL` prints a bearer token")
    print("ready; Ctrl-C stops the stack", flush=True)


def run(args: argparse.Namespace) -> int:
    """``ff dev`` with its parsed arguments (see :mod:`ff_standins.dev.command`)."""
    logdir = state_dir() / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    env = _base_env(args.port)
    if not args.no_portals:
        return_urls(env)
    standins: list[ServerProcess] = []
    processes: list[Supervised] = []
    try:
        mongo_embedded = _ensure_mongo(env, logdir, standins)
        _ensure_aws(env, logdir, standins)
        _check_redis(env)
        emptied = asyncio.run(reset_stores(env, mongo_embedded=mongo_embedded))
        print(f"state      fresh: {', '.join(emptied)} emptied; moto starts empty", flush=True)
        stack = _seed(env)
        settings, child_env = _child_env(stack)
        _start_stack(settings, child_env, logdir, processes, workers=not args.no_workers)
        state = DevState(
            api_url=f"http://127.0.0.1:{settings.api.port}",
            aws_endpoint_url=stack.aws_endpoint_url,
            aws_region=stack.aws_region,
            pools=stack.pools,
            env=child_env,
        )
        record = pid_recorder(state)
        record(processes)
        if not args.no_portals:
            processes += start_portals(state, logdir)
            record(processes)
        _announce(state, stack, [p.name for p in processes[1:]], logdir)
        supervise(processes, logdir, on_restart=record)
        return 0
    finally:
        stop_all(processes)
        for standin in reversed(standins):
            standin.close()
        clear_state()
