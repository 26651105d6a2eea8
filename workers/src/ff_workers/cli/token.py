"""``ff token EMAIL``: a bearer token for a seeded demo user of the running local stack."""

from __future__ import annotations

import argparse
import asyncio

import aioboto3
from botocore.exceptions import ClientError, EndpointConnectionError

from ff_shared.integrations.aws.cognito import PoolIds, access_token
from ff_workers.cli.devstate import DEMO_PASSWORD, read_state
from ff_workers.cli.errors import CommandError


async def _token(email: str) -> str:
    state = read_state()
    pool = next((p for p in state.pools.values() if email in p.users), None)
    if pool is None:
        known = ", ".join(sorted(u for p in state.pools.values() for u in p.users))
        raise CommandError(f"{email} is not a seeded demo user; known users: {known}")
    session = aioboto3.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=state.aws_region
    )
    try:
        async with session.client("cognito-idp", endpoint_url=state.aws_endpoint_url) as cognito:
            return await access_token(
                cognito,
                PoolIds(pool_id=pool.pool_id, client_id=pool.client_id),
                email,
                DEMO_PASSWORD,
            )
    except EndpointConnectionError as exc:
        raise CommandError(
            f"the local stack is not answering at {state.aws_endpoint_url}: is `ff dev` running?"
        ) from exc
    except ClientError as exc:
        raise CommandError(
            f"the identity provider refused: {exc.response['Error']['Message']}"
        ) from exc


def _run(args: argparse.Namespace) -> int:
    print(asyncio.run(_token(args.email.strip().lower())))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("token", help="print a bearer token for a demo user of the local stack")
    parser.add_argument("email", help="e.g. demo.customer@example.com")
    parser.set_defaults(handler=_run)
