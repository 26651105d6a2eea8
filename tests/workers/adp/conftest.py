"""The adp pipeline under test, over real servers: its own MongoDB database, loan book
(psqlODBC, like SQL Server through ODBC), PostgreSQL database (with the tracker's schema), lake
bucket on moto, and the session's Dynamics simulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlparse

import aioboto3
import aioodbc
import asyncpg
import msgspec
import pytest
from pymongo import AsyncMongoClient
from tests.fixtures.loanbook import loanbook_server_connection_string
from tests.fixtures.servers import REGION

from ff_shared.clock import london_today
from ff_shared.settings import Settings, load_settings
from ff_shared.stores.loanbook.connection import connect, with_database
from ff_shared.stores.loanbook.schema import drop_database, ensure_loanbook
from ff_shared.stores.mongo import close_mongo, connect_mongo
from ff_shared.stores.postgres import apply_migrations
from ff_workers.adp.demo_loans import DemoPortfolio
from ff_workers.adp.demo_seed import seed_demo_portfolio
from ff_workers.adp.pipeline import Pipeline, open_pipeline

RECIPIENTS = "board@fairfinance.example,operations@fairfinance.example"


@pytest.fixture(scope="package")
async def adp_settings(base_env: dict[str, str], postgres_dsn: str) -> AsyncIterator[Settings]:
    tag = uuid.uuid4().hex[:8]
    dsn = urlparse(postgres_dsn)
    database = f"ff_test_adp_{tag}"
    admin = await asyncpg.connect(postgres_dsn)
    try:
        await admin.execute(f'create database "{database}"')
    finally:
        await admin.close()
    pg_dsn = dsn._replace(path=f"/{database}").geturl()
    loanbook = with_database(loanbook_server_connection_string(), f"ff_test_adp_lb_{tag}")
    await ensure_loanbook(loanbook)
    env = {
        **base_env,
        "FF_POSTGRES_DSN": pg_dsn,
        "FF_MONGO_DATABASE": f"ff_test_adp_{tag}",
        "FF_LOANBOOK_CONNECTION_STRING": loanbook,
        "FF_ADP_BUCKET": f"ff-adp-{tag}",
        "FF_ADP_REPORT_RECIPIENTS": RECIPIENTS,
        "FF_ADP_REPORT_SENDER": f"reports-{tag}@fairfinance.example",
        "FF_ADP_SNAPSHOT_MONTHS": "8",
    }
    try:
        yield load_settings(env)
    finally:
        await drop_database(loanbook)
        admin = await asyncpg.connect(postgres_dsn)
        try:
            await admin.execute(f'drop database if exists "{database}" with (force)')
        finally:
            await admin.close()


@pytest.fixture(scope="package")
async def adp_loanbook(adp_settings: Settings) -> AsyncIterator[aioodbc.Connection]:
    conn = await connect(adp_settings.loanbook.connection_string)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture(scope="package")
async def seeded(
    adp_settings: Settings, adp_loanbook: aioodbc.Connection
) -> AsyncIterator[DemoPortfolio]:
    """Six months of the demo portfolio, seeded as ``ff dev`` seeds two years."""
    pg = await asyncpg.connect(adp_settings.postgres.dsn)
    mongo: AsyncMongoClient[dict[str, object]] = await connect_mongo(adp_settings.mongo)
    try:
        await apply_migrations(pg, "tracker")
        portfolio = await seed_demo_portfolio(
            adp_loanbook, pg, today=london_today() - timedelta(days=1), months=6, per_month=14
        )
        assert portfolio is not None
        # Seeding again finds the portfolio there and leaves it alone.
        assert await seed_demo_portfolio(adp_loanbook, pg, today=london_today(), months=6) is None
        yield portfolio
    finally:
        await close_mongo(mongo)
        await pg.close()


@pytest.fixture(scope="module")
def lake_settings(adp_settings: Settings) -> Settings:
    """The package's sources with a lake of this module's own (its runs start from nothing)."""
    adp = msgspec.structs.replace(adp_settings.adp, prefix=f"adp-{uuid.uuid4().hex[:6]}")
    return msgspec.structs.replace(adp_settings, adp=adp)


@pytest.fixture(scope="module")
async def pipeline(lake_settings: Settings, seeded: DemoPortfolio) -> AsyncIterator[Pipeline]:
    async with open_pipeline(lake_settings) as opened:
        yield opened


@pytest.fixture(scope="package")
async def ses_sender(adp_settings: Settings, moto_url: str) -> str:
    session = aioboto3.Session(region_name=REGION)
    async with session.client("ses", endpoint_url=moto_url) as ses:
        await ses.verify_email_identity(EmailAddress=adp_settings.adp.report_sender)
    return adp_settings.adp.report_sender
