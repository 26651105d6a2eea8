"""Traces and metrics for every process: the API, the workers and their outbound calls.

Traces: OpenTelemetry, exported over OTLP/HTTP only when ``FF_OBSERVABILITY_OTLP_ENDPOINT`` is
set (off otherwise: no provider, no spans). One tracer provider per process, made by the first
:func:`configure_tracing` that names an endpoint and handed explicitly to what traces (the API's
OpenTelemetry plugin, job and AWS spans, aiohttp's instrumentation, which also propagates the
trace context on outbound calls).

Metrics: Prometheus, in the process's default registry, always on (they cost a dict lookup):
requests per route, jobs per worker, queue depth and age, third-party calls per vendor. The API
serves them at ``/metrics``; a worker on ``FF_OBSERVABILITY_METRICS_PORT``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import structlog
import wrapt
from aiohttp import web
from arq.worker import Retry
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Gauge, Histogram, generate_latest

from ff_shared.settings import ObservabilitySettings, Settings

log = structlog.get_logger()

TRACER_NAME = "ff"

HTTP_REQUESTS = Counter(
    "ff_http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
HTTP_ERRORS = Counter(
    "ff_http_request_errors_total", "HTTP requests answered with a 5xx", ["method", "route"]
)
HTTP_DURATION = Histogram(
    "ff_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"]
)
JOBS = Counter("ff_jobs_total", "Jobs run, by outcome", ["worker", "job", "outcome"])
JOB_DURATION = Histogram(
    "ff_job_duration_seconds",
    "Time a job ran",
    ["worker", "job"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 8 * 3600),
)
QUEUE_DEPTH = Gauge("ff_queue_depth", "Jobs waiting in an arq queue", ["queue"])
QUEUE_AGE = Gauge(
    "ff_queue_oldest_job_age_seconds", "How long the oldest due job has waited", ["queue"]
)
VENDOR_CALLS = Histogram(
    "ff_vendor_call_duration_seconds", "Third-party call latency", ["vendor", "outcome"]
)
VENDOR_ERRORS = Counter(
    "ff_vendor_call_errors_total", "Third-party calls that failed", ["vendor", "kind"]
)

_provider: TracerProvider | None = None
_endpoints: set[str] = set()
_vendor_hosts: dict[str, str] = {}


def configure_tracing(settings: ObservabilitySettings) -> TracerProvider | None:
    """The process's tracer provider exporting to the configured collector, or None (off)."""
    global _provider
    if not settings.otlp_endpoint:
        return None
    if _provider is None:
        _provider = TracerProvider(
            resource=Resource.create(
                {
                    "service.name": settings.service_name,
                    "deployment.environment": settings.deployment,
                }
            ),
            sampler=ParentBased(TraceIdRatioBased(settings.traces_sample_ratio)),
        )
        AioHttpClientInstrumentor().instrument(tracer_provider=_provider)
    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    if endpoint not in _endpoints:
        _endpoints.add(endpoint)
        _provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=5))
        )
    return _provider


def shutdown_tracing() -> None:
    """Export what is buffered and stop tracing (a process ending; a test's teardown)."""
    global _provider
    if _provider is None:
        return
    _provider.force_flush()
    _provider.shutdown()
    AioHttpClientInstrumentor().uninstrument()
    _provider = None
    _endpoints.clear()


def configure(settings: Settings) -> TracerProvider | None:
    """Everything a process sets up once: vendor names for outbound metrics, per-vendor metrics
    on every aiohttp session, and tracing when a collector is configured."""
    name_vendors(
        {
            settings.dynamics.base_url: "dynamics",
            settings.dynamics.token_url: "dynamics",
            settings.obv.base_url: "obv",
            settings.anchor_lms.base_url: "anchor_lms",
        }
    )
    _measure_every_client_session()
    return configure_tracing(settings.observability)


_sessions_measured = False


def _measure_every_client_session() -> None:
    """Add :func:`client_trace_config` to every ``aiohttp.ClientSession`` made from now on (as
    OpenTelemetry's aiohttp instrumentation adds its own), so no call site needs to."""
    global _sessions_measured
    if _sessions_measured:
        return
    _sessions_measured = True

    def init(wrapped: Any, _instance: Any, args: Any, kwargs: dict[str, Any]) -> Any:
        kwargs["trace_configs"] = [*(kwargs.get("trace_configs") or []), client_trace_config()]
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(aiohttp.ClientSession, "__init__", init)


def tracer() -> trace.Tracer:
    """The process's tracer: a no-op one (spans that only carry context) when tracing is off."""
    if _provider is None:
        return trace.NoOpTracer()
    return _provider.get_tracer(TRACER_NAME)


def current_trace_id() -> str | None:
    """The trace id of the current span as 32 hex digits (the request id), if one is recording."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def name_vendors(hosts: Mapping[str, str]) -> None:
    """``{base URL or host: vendor}``: outbound calls to these hosts are labelled by vendor."""
    for url, vendor in hosts.items():
        host = urlsplit(url).netloc if "://" in url else url
        if host:
            _vendor_hosts[host] = vendor


def vendor_of(url: str) -> str:
    host = urlsplit(url).netloc
    return _vendor_hosts.get(host, host or "unknown")


def observe_vendor_call(vendor: str, seconds: float, error: str | None) -> None:
    VENDOR_CALLS.labels(vendor, "error" if error else "ok").observe(seconds)
    if error:
        VENDOR_ERRORS.labels(vendor, error).inc()


def client_trace_config() -> aiohttp.TraceConfig:
    """Latency and errors per vendor of every request a session makes (add it to
    ``aiohttp.ClientSession(trace_configs=[...])``)."""

    async def on_start(
        _session: aiohttp.ClientSession, context: Any, _params: aiohttp.TraceRequestStartParams
    ) -> None:
        context.ff_started = time.perf_counter()

    async def on_end(
        _session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        status = params.response.status
        error = f"http_{status}" if status >= 500 or status == 429 else None
        seconds = time.perf_counter() - context.ff_started
        observe_vendor_call(vendor_of(str(params.url)), seconds, error)

    async def on_exception(
        _session: aiohttp.ClientSession,
        context: Any,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        seconds = time.perf_counter() - context.ff_started
        observe_vendor_call(vendor_of(str(params.url)), seconds, type(params.exception).__name__)

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)
    config.on_request_exception.append(on_exception)
    return config


def instrument_aws(session: Any) -> None:
    """Spans and per-service latency/errors of every AWS call made through ``session``
    (an aioboto3 session): vendor ``aws.<service>``."""

    def before(context: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_id.hyphenize()
        span = tracer().start_span(
            f"aws.{service}.{model.name}",
            kind=SpanKind.CLIENT,
            attributes={"rpc.system": "aws-api", "rpc.service": service, "rpc.method": model.name},
        )
        context["ff_observed"] = (f"aws.{service}", time.perf_counter(), span)

    def after(context: dict[str, Any], http_response: Any, **_: Any) -> None:
        observed = context.pop("ff_observed", None)
        if observed is None:
            return
        vendor, started, span = observed
        status = int(http_response.status_code)
        error = f"http_{status}" if status >= 500 or status == 429 else None
        observe_vendor_call(vendor, time.perf_counter() - started, error)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()

    def failed(context: dict[str, Any], exception: BaseException, **_: Any) -> None:
        observed = context.pop("ff_observed", None)
        if observed is None:
            return
        vendor, started, span = observed
        observe_vendor_call(vendor, time.perf_counter() - started, type(exception).__name__)
        span.record_exception(exception)
        span.set_status(Status(StatusCode.ERROR))
        span.end()

    events = session._session  # the aiobotocore session every client of it is made from
    events.register("before-call", before)
    events.register("after-call", after)
    events.register("after-call-error", failed)


JobCoroutine = Callable[..., Coroutine[Any, Any, Any]]


def instrument_job(worker: str, job: str, coroutine: JobCoroutine) -> JobCoroutine:
    """The job's coroutine with a span, and its count, duration and outcome recorded."""

    async def observed(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "failure"
        with tracer().start_as_current_span(
            f"job {job}",
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "arq",
                "messaging.operation": "process",
                "ff.worker": worker,
                "ff.job": job,
                "ff.job_id": str(ctx.get("job_id")),
                "ff.job_try": int(ctx.get("job_try") or 1),
            },
        ):
            try:
                result = await coroutine(ctx, *args, **kwargs)
                outcome = "success"
                return result
            except Retry:
                outcome = "retry"
                raise
            except BaseException as exc:
                outcome = "cancelled" if type(exc).__name__ == "CancelledError" else "failure"
                if outcome == "failure":
                    log.error("job_failed", worker=worker, job=job, error=type(exc).__name__)
                raise
            finally:
                JOBS.labels(worker, job, outcome).inc()
                JOB_DURATION.labels(worker, job).observe(time.perf_counter() - started)

    observed.__qualname__ = getattr(coroutine, "__qualname__", job)
    observed.__name__ = getattr(coroutine, "__name__", job)
    return observed


async def record_queue(redis: Any, queue: str) -> None:
    """Depth and oldest due job's age of an arq queue (a sorted set scored by due time, ms)."""
    depth = await redis.zcard(queue)
    now_ms = time.time() * 1000
    oldest = await redis.zrangebyscore(queue, "-inf", now_ms, start=0, num=1, withscores=True)
    QUEUE_DEPTH.labels(queue).set(depth)
    QUEUE_AGE.labels(queue).set(max(0.0, (now_ms - oldest[0][1]) / 1000) if oldest else 0.0)


# The text format every Prometheus-compatible scraper reads (the charset is added by the server).
METRICS_MEDIA_TYPE = "text/plain; version=0.0.4"


def metrics_text() -> tuple[bytes, str]:
    """The Prometheus text exposition of this process's metrics, and its media type."""
    return generate_latest(), METRICS_MEDIA_TYPE


async def start_metrics_server(host: str, port: int) -> web.AppRunner:
    """``GET /metrics`` on ``host:port`` in this event loop (a worker's); clean it up on stop."""

    async def metrics(_request: web.Request) -> web.Response:
        body, media_type = metrics_text()
        return web.Response(body=body, headers={"Content-Type": f"{media_type}; charset=utf-8"})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
