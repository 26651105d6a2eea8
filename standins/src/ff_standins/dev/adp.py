"""``ff dev``'s data platform: a two-year demo portfolio in MongoDB, the loan book and the
journey tracker, the ``adp`` schema, the lake's bucket and the weekly report's sender; the stack
then runs the ``adp`` worker. ``uv run ff adp run`` publishes the first run."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import aioboto3
import asyncpg

from ff_shared.adp.lake import Lake, filesystem
from ff_shared.clock import london_today
from ff_shared.settings import load_settings
from ff_shared.stores.loanbook.connection import connect
from ff_shared.stores.mongo import close_mongo, connect_mongo
from ff_shared.stores.postgres import apply_migrations
from ff_workers.adp.demo_seed import seed_demo_portfolio

if TYPE_CHECKING:
    from ff_standins.dev.stack import Stack

ADP_WORKER = ("worker-adp", [str(Path(sys.executable).parent / "ff"), "worker", "adp"])
REPORT_RECIPIENTS = "operations@example.com,admin@example.com"


async def seed_adp(stack: Stack) -> None:
    """After the loan book and the tracker: the demo portfolio (once), schema, bucket, sender."""
    stack.env.setdefault("FF_ADP_REPORT_RECIPIENTS", REPORT_RECIPIENTS)
    settings = load_settings(stack.env)
    pg = await asyncpg.connect(settings.postgres.dsn, timeout=10)
    mongo = await connect_mongo(settings.mongo)
    loanbook = await connect(settings.loanbook.connection_string)
    try:
        await apply_migrations(pg, "adp")
        portfolio = await seed_demo_portfolio(loanbook, pg, today=london_today())
    finally:
        await loanbook.close()
        await close_mongo(mongo)
        await pg.close()
    lake = Lake(filesystem(settings.aws), settings.adp.bucket, settings.adp.prefix)
    await asyncio.to_thread(lake.ensure_bucket)
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("ses", endpoint_url=stack.aws_endpoint_url) as ses:
        await ses.verify_email_identity(EmailAddress=settings.adp.report_sender)
    if portfolio is None:
        print("adp        demo portfolio already seeded", flush=True)
    else:
        print(
            f"adp        demo portfolio: {len(portfolio.applications)} applications,"
            f" {len(portfolio.agreements)} loans over two years; `ff adp run` publishes it",
            flush=True,
        )
