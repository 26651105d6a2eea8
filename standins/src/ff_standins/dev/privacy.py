"""Local stack: the KMS key (in moto) that wraps the audit log's per-customer data keys, and the
customer the erasure demo erases."""

from __future__ import annotations

import aioboto3

from ff_shared.integrations.aws.cognito import ensure_user
from ff_standins.dev.stack import Stack
from ff_workers.cli.devstate import DEMO_PASSWORD

AUDIT_KEY_ALIAS = "alias/ff-audit"


async def seed_audit_key(stack: Stack) -> None:
    """Create the audit key under its alias once; the API finds it by the alias."""
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("kms", endpoint_url=stack.aws_endpoint_url) as kms:
        aliases = await kms.list_aliases()
        if not any(a["AliasName"] == AUDIT_KEY_ALIAS for a in aliases.get("Aliases", [])):
            key = await kms.create_key(Description="ff audit log data keys")
            await kms.create_alias(
                AliasName=AUDIT_KEY_ALIAS, TargetKeyId=key["KeyMetadata"]["KeyId"]
            )
    stack.env["FF_AWS_AUDIT_KEY_ID"] = AUDIT_KEY_ALIAS


ERASURE_DEMO_CUSTOMER = "demo.erasure@example.com"
"""A customer kept for the erasure demo (docs/staff-api.md), so erasing them leaves the other
demos' customers alone. A new ``ff dev`` makes them again, under a new id."""


async def seed_erasure_demo(stack: Stack) -> None:
    pool = stack.pools["customer"]
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("cognito-idp", endpoint_url=stack.aws_endpoint_url) as cognito:
        await ensure_user(cognito, pool.pool_id, ERASURE_DEMO_CUSTOMER, DEMO_PASSWORD)
    if ERASURE_DEMO_CUSTOMER not in pool.users:
        pool.users.append(ERASURE_DEMO_CUSTOMER)
