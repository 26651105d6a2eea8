"""obv-archiver under test: the Dynamics and OBV simulators over loopback, the real PostgreSQL.

The archiver reads every Dynamics application with an OBV reference, so these tests have a
Dynamics simulator of their own (other tests seed theirs with references and future dates); the
OBV simulator is the session's, its references unique. Each test gets its own archive database,
cloned from a migrated template of this session, and a watermark at the moment it starts, so it
discovers only the applications it seeds itself. Discovery's overlap is off for the same reason;
one test turns it on.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
import asyncpg
import msgspec
import pytest
from tests.fixtures.dynamics import CLIENT_ID, CLIENT_SECRET, DynamicsSimulator, dynamics_env
from tests.fixtures.obv import ObvSimulator, obv_env

from ff_shared.clock import now_utc
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.schemas import LOAN_APPLICATIONS
from ff_shared.integrations.obv.client import ObvClient
from ff_shared.settings import DynamicsSettings, ObvArchiverSettings, ObvSettings
from ff_shared.stores.postgres import apply_migrations
from ff_shared.stores.postgres import obv as archive
from ff_standins.servers import ServerProcess, start_simulator
from ff_workers.obv_archiver.fetch import Fetched, FetchFailed, fetch_report
from ff_workers.obv_archiver.run import ArchiveRequest, OnProgress, run_archive
from ff_workers.obv_archiver.summary import RunSummary

_databases = itertools.count(1)


class SeededApp(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    reference: str
    platform_id: str


class _Touch(msgspec.Struct, frozen=True):
    ff_name: str


class Harness:
    """One test's archive database, clients and simulators."""

    def __init__(
        self,
        *,
        dsn: str,
        pool: asyncpg.Pool,
        dynamics: DynamicsClient,
        obv: ObvClient,
        dynamics_sim: DynamicsSimulator,
        obv_sim: ObvSimulator,
        dynamics_settings: DynamicsSettings,
        obv_settings: ObvSettings,
        settings: ObvArchiverSettings,
        tag: str,
    ) -> None:
        self.dsn = dsn
        self.pool = pool
        self.dynamics = dynamics
        self.obv = obv
        self.dynamics_sim = dynamics_sim
        self.obv_sim = obv_sim
        self.dynamics_settings = dynamics_settings
        self.obv_settings = obv_settings
        self.settings = settings
        self.tag = tag

    async def seed(
        self, count: int, *, household: str | None = None, extra_transactions: int = 0
    ) -> list[SeededApp]:
        """``count`` authorised OBV consents with reports, and a Dynamics application for each."""
        options: dict[str, Any] = {"application_prefix": f"{self.tag}-{next(_databases)}"}
        if household is not None:
            options["household"] = household
        if extra_transactions:
            options["extra_transactions"] = extra_transactions
        consents = await self.obv_sim.batch(count, **options)
        rows = [
            {
                "ff_platformid": c["application_reference"],
                "ff_name": f"FF-{c['application_reference'][-8:].upper()}",
                "ff_obvreference": c["reference"],
                "ff_applicationstatus": 100_000_001,
            }
            for c in consents
        ]
        ids = await self.dynamics_sim.seed(LOAN_APPLICATIONS, rows)
        return [
            SeededApp(
                application_id=i, reference=c["reference"], platform_id=c["application_reference"]
            )
            for i, c in zip(ids, consents, strict=True)
        ]

    async def touch(self, app: SeededApp) -> None:
        """Change the Dynamics row, so its ``modifiedon`` moves past the watermark."""
        await next_second()
        await self.dynamics.update(LOAN_APPLICATIONS, app.application_id, _Touch(ff_name="touched"))

    async def fetch(self, reference: str) -> Fetched | FetchFailed:
        return await fetch_report(self.obv, reference)

    async def run(
        self,
        *,
        settings: ObvArchiverSettings | None = None,
        on_progress: OnProgress | None = None,
        **request: Any,
    ) -> RunSummary:
        return await run_archive(
            self.pool,
            self.dynamics,
            self.fetch,
            settings or self.settings,
            ArchiveRequest(trigger="command", **request),
            on_progress=on_progress,
        )

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.pool.acquire() as conn:
            return await conn.fetchval(sql, *args)

    async def fetch_rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows

    async def versions(self, app: SeededApp) -> list[asyncpg.Record]:
        return await self.fetch_rows(
            "select * from obv.report_versions where application_id = $1 order by version",
            app.application_id,
        )

    async def report_requests(self, app: SeededApp, after: int = 0) -> list[dict[str, Any]]:
        """The OBV simulator's log of report fetches for ``app``."""
        return [
            r
            for r in await self.obv_sim.requests(after)
            if r["path"] == f"/v1/reports/{app.reference}"
        ]

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """The environment of an ``ff`` process archiving into this test's database."""
        return {
            **os.environ,
            **base,
            **dynamics_env(self.dynamics_settings),
            **obv_env(self.obv_settings),
            "FF_POSTGRES_DSN": self.dsn,
            "FF_OBV_ARCHIVER_MAX_IN_FLIGHT": str(self.settings.max_in_flight),
            "FF_OBV_ARCHIVER_OVERLAP_SECONDS": str(self.settings.overlap_seconds),
            "FF_OBV_ARCHIVER_STORE_ATTEMPTS": str(self.settings.store_attempts),
            "FF_OBV_ARCHIVER_PROGRESS_SECONDS": str(self.settings.progress_seconds),
            "FF_LOG_LEVEL": "info",
            # Never a developer's running stack: only this test's settings.
            "FF_DEV_DIR": str(Path(tempfile.gettempdir()) / f"ff-no-stack-{self.tag}"),
        }


async def next_second() -> None:
    """Dataverse keeps ``modifiedon`` to the second: wait for a second no earlier write shares."""
    now = now_utc()
    await asyncio.sleep(1.0 - now.microsecond / 1_000_000 + 0.01)


def _admin_dsn(dsn: str) -> str:
    return urlparse(dsn)._replace(path="/postgres").geturl()


@pytest.fixture(scope="session")
def archive_dynamics_server(workdir: Path) -> Iterator[ServerProcess]:
    with start_simulator(
        "obv-archiver-dynamics-sim",
        "ff_standins.dynamics.simulator",
        workdir,
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
    ) as server:
        yield server


@pytest.fixture(scope="session")
def archive_dynamics_sim(
    archive_dynamics_server: ServerProcess, sim_http: aiohttp.ClientSession
) -> DynamicsSimulator:
    return DynamicsSimulator(archive_dynamics_server.url, sim_http)


@pytest.fixture(scope="session")
def archive_dynamics_settings(
    archive_dynamics_sim: DynamicsSimulator, dynamics_settings: DynamicsSettings
) -> DynamicsSettings:
    """The session's test-sized Dynamics settings, pointing at this suite's simulator."""
    return msgspec.structs.replace(
        dynamics_settings,
        base_url=archive_dynamics_sim.api_url,
        token_url=archive_dynamics_sim.token_url,
        scope=f"{archive_dynamics_sim.url}/.default",
    )


@pytest.fixture(scope="session")
async def obv_template_db(postgres_dsn: str, session_id: str) -> AsyncIterator[str]:
    """A database with the obv schema migrated, cloned for each test."""
    name = f"ff_test_{session_id}_obvtpl"
    admin = await asyncpg.connect(_admin_dsn(postgres_dsn))
    try:
        await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(urlparse(postgres_dsn)._replace(path=f"/{name}").geturl())
    try:
        await apply_migrations(conn, "obv")
    finally:
        await conn.close()
    yield name
    admin = await asyncpg.connect(_admin_dsn(postgres_dsn))
    try:
        await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


@pytest.fixture
async def archive_dsn(
    postgres_dsn: str, session_id: str, obv_template_db: str
) -> AsyncIterator[str]:
    name = f"ff_test_{session_id}_obv{next(_databases)}"
    admin = await asyncpg.connect(_admin_dsn(postgres_dsn))
    try:
        await admin.execute(f'create database "{name}" template "{obv_template_db}"')
    finally:
        await admin.close()
    yield urlparse(postgres_dsn)._replace(path=f"/{name}").geturl()
    admin = await asyncpg.connect(_admin_dsn(postgres_dsn))
    try:
        await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


@pytest.fixture
def archiver_settings() -> ObvArchiverSettings:
    return ObvArchiverSettings(
        queue_name="unused",
        max_in_flight=4,
        overlap_seconds=0.0,
        store_attempts=3,
        progress_seconds=0.0,
    )


@pytest.fixture
async def harness(
    archive_dsn: str,
    archive_dynamics_settings: DynamicsSettings,
    obv_settings: ObvSettings,
    archive_dynamics_sim: DynamicsSimulator,
    obv_sim: ObvSimulator,
    archiver_settings: ObvArchiverSettings,
    session_id: str,
) -> AsyncIterator[Harness]:
    dynamics_sim = archive_dynamics_sim
    await dynamics_sim.clear_faults()
    await obv_sim.clear_faults()
    pool = await asyncpg.create_pool(archive_dsn, min_size=1, max_size=10)
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            # Only what this test seeds from the next second on is new to the archive.
            await archive.advance_watermark(
                conn, now_utc().replace(microsecond=0), run_id=None, now=now_utc()
            )
        await next_second()
        async with aiohttp.ClientSession() as http:
            yield Harness(
                dsn=archive_dsn,
                pool=pool,
                dynamics=DynamicsClient(http, archive_dynamics_settings),
                obv=ObvClient(http, obv_settings),
                dynamics_sim=dynamics_sim,
                obv_sim=obv_sim,
                dynamics_settings=archive_dynamics_settings,
                obv_settings=obv_settings,
                settings=archiver_settings,
                tag=f"obvt-{session_id}",
            )
    finally:
        await dynamics_sim.clear_faults()
        await obv_sim.clear_faults()
        await pool.close()
