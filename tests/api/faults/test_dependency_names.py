"""Each dependency's real client, pointed at a port nothing listens on, fails as an outage that
names it; a bug or a refusal is never taken for one."""

from __future__ import annotations

import uuid

import aioboto3
import aiohttp
import asyncpg
import pytest

from ff_shared.errors import DependencyUnavailable, NotFound
from ff_shared.faults import dependency_of, unavailable_from
from ff_shared.integrations.aws import s3 as documents
from ff_shared.integrations.aws.cognito import PoolVerifier
from ff_shared.integrations.aws.session import client_options
from ff_shared.settings import AwsSettings, LoanBookSettings
from ff_shared.stores.loanbook.connection import (
    create_pool,
    format_connection_string,
    parse_connection_string,
)
from ff_standins.servers import free_port


async def test_s3_unreachable_is_named_s3() -> None:
    settings = AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}", timeout_seconds=1)
    session = aioboto3.Session(region_name="eu-west-2")
    async with session.client("s3", **client_options(settings)) as s3:
        with pytest.raises(Exception) as caught:
            await documents.head(s3, bucket="documents", key="nothing")
    unavailable = unavailable_from(caught.value)
    assert unavailable is not None
    assert unavailable.dependency == "s3"
    assert unavailable.status == 503


async def test_cognito_keys_unreachable_is_named_cognito() -> None:
    async with aiohttp.ClientSession() as http:
        verifier = PoolVerifier(
            http,
            region="eu-west-2",
            pool_id="eu-west-2_nothing",
            client_id="client",
            jwks_base_url=f"http://127.0.0.1:{free_port()}",
            timeout_seconds=1,
        )
        with pytest.raises(DependencyUnavailable) as caught:
            await verifier.ready()
    assert caught.value.dependency == "cognito"
    assert caught.value.code == "dependency_unavailable"


async def test_the_loan_book_unreachable_is_named_loan_book(
    loanbook_connection_string: str,
) -> None:
    pairs = [
        (key, str(free_port()) if key.lower() == "port" else value)
        for key, value in parse_connection_string(loanbook_connection_string)
    ]
    settings = LoanBookSettings(
        connection_string=format_connection_string(pairs),
        min_pool_size=1,
        connect_timeout_seconds=2,
    )
    with pytest.raises(DependencyUnavailable) as caught:
        await create_pool(settings)
    assert caught.value.dependency == "loan_book"
    assert caught.value.code == "dependency_unavailable"


async def test_postgres_unreachable_is_named_postgres() -> None:
    with pytest.raises(OSError) as caught:
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/x", timeout=2)
    assert dependency_of(caught.value) == "postgres"


async def test_bugs_and_refusals_are_not_outages(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    table = f"t_{uuid.uuid4().hex[:8]}"
    try:
        await conn.execute(f"create temporary table {table} (id int primary key)")
        await conn.execute(f"insert into {table} values (1)")
        with pytest.raises(asyncpg.UniqueViolationError) as duplicate:
            await conn.execute(f"insert into {table} values (1)")
    finally:
        await conn.close()
    assert unavailable_from(duplicate.value) is None
    assert unavailable_from(ValueError("a bug")) is None
    assert unavailable_from(NotFound("no such application")) is None
