"""The long-lived clients one API process holds, created in the lifespan and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aioboto3
import aiohttp
import aioodbc
import asyncpg
from arq.connections import ArqRedis
from pymongo import AsyncMongoClient

from ff_api.tracking.services import TrackerServices
from ff_shared.domain.product import LoanProduct
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.aws.cognito import PoolVerifier
from ff_shared.integrations.obv.client import ObvClient
from ff_shared.integrations.payments.provider import PaymentProvider
from ff_shared.settings import Settings


@dataclass
class Services:
    settings: Settings
    product: LoanProduct
    http: aiohttp.ClientSession
    mongo: AsyncMongoClient[dict[str, Any]]
    redis: ArqRedis
    aws: aioboto3.Session
    customer_tokens: PoolVerifier
    staff_tokens: PoolVerifier
    tracker: TrackerServices
    """Journey tracking: its SQS client, PostgreSQL pool and ingestion config."""
    s3: Any
    """Documents bucket client (aioboto3 S3)."""
    loanbook: aioodbc.Pool
    """The loan book (aioodbc pool; connects on first use)."""
    anchor_lms: AnchorLmsClient
    obv: ObvClient
    """Open Banking Vision: consents for the customer's bank data."""
    lms_pg: asyncpg.Pool
    """PostgreSQL (the ``lms`` schema): the loan-book backup catalogue and loan-book pointer."""
    payments: PaymentProvider
    """The payment provider: Direct Debit mandates, pay-now, webhook verification."""
    payments_pg: asyncpg.Pool
    """PostgreSQL (the ``payments`` schema): mandates, payments, webhook events, forbearance."""
