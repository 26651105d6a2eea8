"""The composition root: ``create_app(settings)`` wires every route group and every client."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import aiohttp
import msgspec
import structlog
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

from ff_api.analyst.service import refuse_personal_data
from ff_api.applications.public import ApplicationFormController
from ff_api.bodies import check_body
from ff_api.customer.controllers import customer_router
from ff_api.health import HealthController
from ff_api.loanbook_follower import LoanBookFollower
from ff_api.metrics import metrics, metrics_middleware
from ff_api.middleware import request_id_middleware, security_headers
from ff_api.open_banking.public import OpenBankingCallbackController
from ff_api.payments.public import PaymentWebhookController
from ff_api.problems import EXCEPTION_HANDLERS, document_problem_responses
from ff_api.quotes.public import QuoteController
from ff_api.ratelimit import rate_limit_middleware
from ff_api.reports.service import open_report_services
from ff_api.services import Services
from ff_api.staff.controllers import staff_router
from ff_api.tracking.public import TrackController
from ff_api.tracking.services import open_tracker_services
from ff_shared.domain.product import LoanProduct
from ff_shared.errors import SettingsError
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.aws.cognito import PoolVerifier
from ff_shared.integrations.aws.session import client_options, make_session
from ff_shared.integrations.claude.client import ClaudeClient
from ff_shared.integrations.google_analytics.client import GoogleAnalyticsClient
from ff_shared.integrations.obv.client import ObvClient
from ff_shared.integrations.payments.client import GoCardlessClient
from ff_shared.logging import configure_logging
from ff_shared.observability import configure as configure_observability
from ff_shared.settings import Settings, docs_enabled
from ff_shared.startup import load_runtime_settings
from ff_shared.stores.loanbook.connection import close_pool as close_loanbook_pool
from ff_shared.stores.loanbook.connection import create_pool as create_loanbook_pool
from ff_shared.stores.mongo import close_mongo, connect_mongo, data_keys
from ff_shared.stores.mongo.applications import ApplicationRepository
from ff_shared.stores.postgres import create_pool as create_postgres_pool
from ff_shared.stores.postgres import payments as payments_store
from ff_shared.stores.postgres.connection import for_requests
from ff_shared.stores.redis.connection import close_redis, open_redis

log = structlog.get_logger()


def product_from(settings: Settings) -> LoanProduct:
    try:
        return msgspec.convert(msgspec.to_builtins(settings.product), LoanProduct)
    except msgspec.ValidationError as exc:
        raise SettingsError([f"FF_PRODUCT_* do not describe a loan product: {exc}"]) from exc


def _verifier(
    http: aiohttp.ClientSession, settings: Settings, pool_id: str, client_id: str
) -> PoolVerifier:
    cognito = settings.cognito
    return PoolVerifier(
        http,
        region=settings.aws.region,
        pool_id=pool_id,
        client_id=client_id,
        jwks_base_url=cognito.jwks_base_url,
        cache_seconds=cognito.jwks_cache_seconds,
        leeway_seconds=cognito.leeway_seconds,
    )


def _analytics_clients(
    stack: AsyncExitStack, settings: Settings
) -> tuple[GoogleAnalyticsClient, ClaudeClient]:
    """Google Analytics for the marketing reports; Claude, behind the personal-data guard, for
    the AI analyst."""
    google_analytics = GoogleAnalyticsClient(settings.google_analytics)
    stack.callback(google_analytics.close)
    claude = ClaudeClient(settings.analyst, guard=refuse_personal_data)
    stack.push_async_callback(claude.close)
    return google_analytics, claude


def _lifespan(
    settings: Settings, product: LoanProduct
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
            )
            mongo = await connect_mongo(settings.mongo)
            stack.push_async_callback(close_mongo, mongo)
            redis = await open_redis(settings.redis)
            stack.push_async_callback(close_redis, redis)
            aws = make_session(settings.aws)
            cognito = settings.cognito
            # Long-lived AWS clients are entered on the stack.
            s3 = await stack.enter_async_context(aws.client("s3", **client_options(settings.aws)))
            kms = await stack.enter_async_context(aws.client("kms", **client_options(settings.aws)))
            data_keys.bind_key_wrapping(data_keys.KmsKeys(kms, settings.aws.audit_key_id))
            stack.callback(data_keys.unbind_key_wrapping)
            loanbook = await create_loanbook_pool(settings.loanbook)
            stack.push_async_callback(close_loanbook_pool, loanbook)
            anchor_lms = await stack.enter_async_context(AnchorLmsClient(settings.anchor_lms))
            # One pool for the one database: the catalogues, the loan-book pointer and the
            # tracker's schema all share it. Connections open on first use.
            postgres = await create_postgres_pool(for_requests(settings.postgres))
            stack.push_async_callback(postgres.close)
            google_analytics, claude = _analytics_clients(stack, settings)
            async with postgres.acquire() as conn:
                await payments_store.migrate(conn)
            app.state.services = Services(
                settings=settings,
                product=product,
                http=http,
                mongo=mongo,
                applications=ApplicationRepository(mongo[settings.mongo.database]),
                redis=redis,
                aws=aws,
                customer_tokens=_verifier(
                    http, settings, cognito.customer_pool_id, cognito.customer_client_id
                ),
                staff_tokens=_verifier(
                    http, settings, cognito.staff_pool_id, cognito.staff_client_id
                ),
                tracker=await open_tracker_services(stack, settings, aws, postgres),
                s3=s3,
                loanbook=loanbook,
                anchor_lms=anchor_lms,
                obv=ObvClient(http, settings.obv),
                postgres=postgres,
                google_analytics=google_analytics,
                claude=claude,
                reports=await open_report_services(stack, settings, aws),
                payments=GoCardlessClient(http, settings.payments),
            )
            # The portals read the loan book lms-restorer verified and put in service.
            follower = LoanBookFollower(app.state.services)
            await follower.start()
            stack.push_async_callback(follower.stop)
            log.info("api_started", environment=settings.environment)
            # Everything built so far (imported modules, clients, the app) lives as long as the
            # process: moved out of the collector's reach, a full collection no longer walks
            # it, which otherwise pauses requests for tens of milliseconds now and then.
            gc.freeze()
            yield
            log.info("api_stopping")

    return lifespan


def _provide_services(state: State) -> Services:
    services: Services = state.services
    return services


def create_app(settings: Settings) -> Litestar:
    configure_logging(level=settings.log_level, json=settings.log_json)
    tracer_provider = configure_observability(settings)
    product = product_from(settings)
    origins = [o.strip() for o in settings.api.cors_origins.split(",") if o.strip()]
    openapi = OpenAPIConfig(
        title="Fair Finance API",
        version="1.0.0",
        description="REST API behind the customer portal and the staff portal.",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin()],
        components=Components(
            security_schemes={
                "customer_token": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="Access token from the customer Cognito user pool",
                ),
                "staff_token": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="Access token from the staff Cognito user pool; roles are groups",
                ),
            }
        ),
    )
    v1 = Router(
        path="/v1",
        route_handlers=[
            QuoteController,
            ApplicationFormController,
            TrackController,
            OpenBankingCallbackController,
            PaymentWebhookController,
            customer_router(),
            staff_router(),
        ],
    )
    app = Litestar(
        route_handlers=[HealthController, metrics, v1],
        lifespan=[_lifespan(settings, product)],
        dependencies={"services": Provide(_provide_services, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=check_body,
        middleware=[metrics_middleware, request_id_middleware, rate_limit_middleware],
        before_send=[security_headers(settings.api.trusted_proxies)],
        plugins=[OpenTelemetryPlugin(OpenTelemetryConfig(tracer_provider=tracer_provider))]
        if tracer_provider is not None
        else [],
        cors_config=CORSConfig(
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "authorization",
                "content-type",
                "idempotency-key",
                "if-match",
                "x-request-id",
            ],
            allow_credentials=False,
            expose_headers=["etag", "x-request-id"],
        ),
        openapi_config=openapi if docs_enabled(settings) else None,
        request_max_body_size=settings.api.max_body_bytes,
        debug=False,
    )
    document_problem_responses(app)
    return app


def app_from_env() -> Litestar:
    """The ASGI server's factory: ``granian --interface asgi --factory ff_api.app:app_from_env``."""
    try:
        settings = load_runtime_settings()
    except SettingsError as exc:
        print(f"ff-api: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return create_app(settings)
