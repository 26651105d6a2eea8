"""The long-lived clients one API process holds, created in the lifespan and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aioboto3
import aiohttp
import aioodbc
import asyncpg
from arq.connections import ArqRedis
from pymongo import AsyncMongoClient

from ff_api.reports.service import ReportServices
from ff_api.tracking.services import TrackerServices
from ff_shared.domain.product import LoanProduct
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.aws.cognito import PoolVerifier
from ff_shared.integrations.claude.client import ClaudeClient
from ff_shared.integrations.google_analytics.client import GoogleAnalyticsClient
from ff_shared.integrations.obv.client import ObvClient
from ff_shared.integrations.payments.provider import PaymentProvider
from ff_shared.settings import Settings
from ff_shared.stores.mongo.applications import ApplicationRepository

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
else:
    # The stubs are a development dependency; at run time the annotation only has to resolve.
    S3Client = Any


@dataclass
class Services:
    settings: Settings
    product: LoanProduct
    http: aiohttp.ClientSession
    mongo: AsyncMongoClient[dict[str, Any]]
    applications: ApplicationRepository
    """Every read and write of an application, on ``mongo``'s database."""
    redis: ArqRedis
    aws: aioboto3.Session
    customer_tokens: PoolVerifier
    staff_tokens: PoolVerifier
    tracker: TrackerServices
    """Journey tracking: its SQS client, PostgreSQL pool and ingestion config."""
    s3: S3Client
    """Documents bucket client (aioboto3 S3)."""
    loanbook: aioodbc.Pool
    """The loan book (aioodbc pool; connects on first use)."""
    anchor_lms: AnchorLmsClient
    obv: ObvClient
    """Open Banking Vision: consents for the customer's bank data."""
    postgres: asyncpg.Pool
    """The one PostgreSQL pool: the ``lms`` catalogue and loan-book pointer, the tracker schema."""
    google_analytics: GoogleAnalyticsClient
    """Google Analytics Data API (GA4) for the marketing reports."""
    claude: ClaudeClient
    """Anthropic's Messages API for the AI analyst, behind the personal-data guard."""
    reports: ReportServices
    """The data platform's published run and run reports (staff reports)."""
    payments: PaymentProvider
    """The payment provider: Direct Debit mandates, pay-now, webhook verification."""
