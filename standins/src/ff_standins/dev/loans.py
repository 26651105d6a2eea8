"""The local stack's loan book and Anchor LMS simulator (``ff dev``).

The loan book is a PostgreSQL database (``fairfinance_loanbook`` by default, reached through
psqlODBC like production's SQL Server through ODBC Driver 18), created and given demo loans for
the demo customers; the Anchor LMS simulator books accepted offers and records payments there,
so the customer API shows them at once.
"""

from __future__ import annotations

import sys

import aioboto3

from ff_shared.clock import london_today, now_utc
from ff_shared.integrations.aws.cognito import ensure_user
from ff_shared.settings import load_settings
from ff_shared.stores.loanbook.connection import LoanBookUnavailable, database_of, redacted
from ff_standins.dev.stack import Stack
from ff_standins.loanbook.seed import create_and_seed
from ff_workers.cli.devstate import DEMO_PASSWORD
from ff_workers.cli.errors import CommandError


async def seed_loan_book(stack: Stack) -> None:
    """Create the loan book and book the demo customers' loans (after the customer pool)."""
    customers = stack.pools["customer"]
    connection_string = load_settings(stack.env).loanbook.connection_string
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("cognito-idp", endpoint_url=stack.aws_endpoint_url) as cognito:
        subs = [
            await ensure_user(cognito, customers.pool_id, email, DEMO_PASSWORD)
            for email in customers.users
        ]
    try:
        seeded = await create_and_seed(
            connection_string, subs, today=london_today(), now=now_utc(), emails=customers.users
        )
    except LoanBookUnavailable as exc:
        raise CommandError(
            f"the loan book is not reachable ({redacted(connection_string)}): {exc}"
        ) from exc
    stack.env["FF_LOANBOOK_CONNECTION_STRING"] = connection_string
    print(f"loan book  {database_of(connection_string)}: {len(seeded)} demo loans", flush=True)


ANCHOR_LMS_SIMULATOR = (
    "anchor-lms-sim",
    [sys.executable, "-m", "ff_standins.anchor_lms.simulator"],
)
"""Listens on FF_ANCHOR_LMS_BASE_URL's port (8102) and books into FF_LOANBOOK_CONNECTION_STRING."""
