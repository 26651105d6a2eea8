"""Google Analytics Data API (GA4): the official client over its REST transport.

The official ``google-analytics-data`` client is synchronous over REST; each report runs on a
worker thread so the event loop never waits on it. Retries (5xx, timeouts) follow Google's
``api_core`` retry with exponential backoff inside the call's deadline; quota exhaustion
(``429 RESOURCE_EXHAUSTED``) is not retried: it lasts until the quota window turns.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from urllib.parse import urlsplit

import msgspec
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.services.beta_analytics_data.transports.rest import (
    BetaAnalyticsDataRestTransport,
)
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Metric,
    OrderBy,
    RunReportRequest,
    RunReportResponse,
)
from google.api_core import exceptions as google_errors
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2 import service_account

from ff_shared.integrations.errors import (
    AuthenticationFailed,
    IntegrationError,
    MalformedResponse,
    RequestRejected,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from ff_shared.settings import GoogleAnalyticsSettings

SERVICE = "google_analytics"
SCOPES = ["https://www.googleapis.com/auth/analytics.readonly"]
_RETRYABLE = (
    google_errors.ServiceUnavailable,
    google_errors.InternalServerError,
    google_errors.BadGateway,
    google_errors.GatewayTimeout,
    google_errors.DeadlineExceeded,
)


class QuotaBucket(msgspec.Struct, frozen=True, kw_only=True):
    consumed: int
    remaining: int


class PropertyQuota(msgspec.Struct, frozen=True, kw_only=True):
    """What GA says is left of the property's quotas after a report."""

    tokens_per_day: QuotaBucket | None = None
    tokens_per_hour: QuotaBucket | None = None
    concurrent_requests: QuotaBucket | None = None


class ReportRow(msgspec.Struct, frozen=True, kw_only=True):
    dimensions: tuple[str, ...]
    metrics: tuple[int, ...]


class Report(msgspec.Struct, frozen=True, kw_only=True):
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    rows: tuple[ReportRow, ...]
    row_count: int
    quota: PropertyQuota | None = None


class QuotaExhausted(UpstreamThrottled):
    """The GA property's token quota is spent: no report until the window turns."""

    kind = "quota_exhausted"


def _credentials(settings: GoogleAnalyticsSettings) -> Credentials:
    if settings.credentials_json:
        info = json.loads(settings.credentials_json)
        creds: Credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=SCOPES
        )
        return creds
    host = urlsplit(settings.base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("FF_GOOGLE_ANALYTICS_CREDENTIALS_JSON is required for a remote GA API")
    return AnonymousCredentials()  # type: ignore[no-untyped-call]


def _bucket(value: object) -> QuotaBucket | None:
    consumed = getattr(value, "consumed", None)
    remaining = getattr(value, "remaining", None)
    if consumed is None or remaining is None:
        return None
    return QuotaBucket(consumed=int(consumed), remaining=int(remaining))


def _report(response: RunReportResponse, dims: list[str], mets: list[str]) -> Report:
    try:
        rows = tuple(
            ReportRow(
                dimensions=tuple(v.value for v in row.dimension_values),
                metrics=tuple(int(float(v.value or 0)) for v in row.metric_values),
            )
            for row in response.rows
        )
    except ValueError as exc:
        raise MalformedResponse(SERVICE, "a metric value is not a number") from exc
    if any(len(r.dimensions) != len(dims) or len(r.metrics) != len(mets) for r in rows):
        raise MalformedResponse(SERVICE, "rows do not match the requested dimensions and metrics")
    quota = None
    if "property_quota" in response:
        q = response.property_quota
        quota = PropertyQuota(
            tokens_per_day=_bucket(q.tokens_per_day),
            tokens_per_hour=_bucket(q.tokens_per_hour),
            concurrent_requests=_bucket(q.concurrent_requests),
        )
    return Report(
        dimensions=tuple(dims),
        metrics=tuple(mets),
        rows=rows,
        row_count=int(response.row_count),
        quota=quota,
    )


def _translate(exc: Exception) -> IntegrationError:
    if isinstance(exc, google_errors.TooManyRequests | google_errors.ResourceExhausted):
        return QuotaExhausted(SERVICE, "the property's quota is exhausted", status=429)
    if isinstance(exc, google_errors.Unauthorized | google_errors.Forbidden):
        return AuthenticationFailed(SERVICE, "credentials refused", status=exc.code)
    if isinstance(exc, google_errors.DeadlineExceeded | google_errors.RetryError):
        return UpstreamTimeout(SERVICE, "no answer within the deadline")
    if isinstance(exc, google_errors.ClientError):
        return RequestRejected(SERVICE, exc.message or "request refused", status=exc.code)
    if isinstance(exc, google_errors.GoogleAPIError):
        return UpstreamUnavailable(SERVICE, type(exc).__name__)
    return UpstreamUnavailable(SERVICE, f"transport failed: {type(exc).__name__}")


class GoogleAnalyticsClient:
    def __init__(self, settings: GoogleAnalyticsSettings) -> None:
        parts = urlsplit(settings.base_url)
        transport = BetaAnalyticsDataRestTransport(
            host=parts.netloc,
            url_scheme=parts.scheme or "https",
            credentials=_credentials(settings),
        )
        self._client = BetaAnalyticsDataClient(transport=transport)
        self._settings = settings
        self._retry = Retry(
            predicate=if_exception_type(*_RETRYABLE),
            initial=0.25,
            maximum=4.0,
            multiplier=2.0,
            timeout=settings.timeout_seconds,
        )

    @property
    def property_id(self) -> str:
        return self._settings.property_id

    def _run(self, request: RunReportRequest) -> RunReportResponse:
        return self._client.run_report(
            request=request, retry=self._retry, timeout=self._settings.timeout_seconds
        )

    async def run_report(
        self,
        *,
        start: date,
        end: date,
        dimensions: list[str],
        metrics: list[str],
        order_by_metric: str | None = None,
        limit: int = 10_000,
    ) -> Report:
        request = RunReportRequest(
            property=f"properties/{self._settings.property_id}",
            date_ranges=[DateRange(start_date=start.isoformat(), end_date=end.isoformat())],
            dimensions=[Dimension(name=d) for d in dimensions],
            metrics=[Metric(name=m) for m in metrics],
            order_bys=(
                [OrderBy(metric=OrderBy.MetricOrderBy(metric_name=order_by_metric), desc=True)]
                if order_by_metric
                else []
            ),
            limit=limit,
            return_property_quota=True,
        )
        try:
            response = await asyncio.to_thread(self._run, request)
        except Exception as exc:
            raise _translate(exc) from exc
        return _report(response, dimensions, metrics)

    def close(self) -> None:
        self._client.transport.close()  # type: ignore[no-untyped-call]
