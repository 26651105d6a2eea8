"""Where the platform runs: API, databases, queues, AWS, sign-in, workers, telemetry."""

from __future__ import annotations

import msgspec


class ApiSettings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    """Interface the API binds to."""
    port: int = 8000
    """Port the API listens on."""
    max_body_bytes: int = 65_536
    """Largest request body accepted; larger ones get 413."""
    cors_origins: str = "http://localhost:3000"
    """Comma-separated origins of the customer and staff portals."""
    docs_enabled: bool | None = None
    """Serve the OpenAPI document and Swagger UI under /schema; unset: on, except in production."""
    trusted_proxies: int = 0
    """Proxies in front of the API that append to X-Forwarded-For (1 behind the load balancer);
    the client address is the entry that many hops from the right, so a client cannot pick it."""
    public_rate_limit_per_minute: int = 30
    """Requests one client address may make per minute to each public route group (quotes, the
    application form, the open-banking callback)."""
    customer_write_rate_limit_per_minute: int = 60
    """Writes (drafts, uploads, payments...) one client address may make per minute."""
    rate_limit_key_prefix: str = "ff:ratelimit"
    """Prefix of the rate limiter's Redis keys."""


class MongoSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str = "mongodb://127.0.0.1:27017"
    """MongoDB connection string."""
    database: str = "fairfinance"
    """MongoDB database holding customer data and applications."""
    timeout_seconds: float = 5.0
    """Server selection and connect timeout."""


class RedisSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str = "redis://127.0.0.1:6379/0"
    """Redis for arq job queues, idempotency keys and rate limits."""
    queue_name: str = "ff:queue:core"
    """The core worker's arq queue."""
    connect_timeout_seconds: float = 2.0
    """Deadline of opening a Redis connection."""
    operation_timeout_seconds: float = 3.0
    """Deadline of one Redis command: a silent server costs this, then 503 naming `redis`."""


class PostgresSettings(msgspec.Struct, frozen=True, kw_only=True):
    dsn: str = "postgresql://postgres@127.0.0.1:5432/fairfinance"
    """PostgreSQL for the archives, catalogues and tracker data."""
    min_pool_size: int = 1
    """Smallest asyncpg pool."""
    max_pool_size: int = 10
    """Largest asyncpg pool."""
    connect_timeout_seconds: float = 5.0
    """Deadline of opening a PostgreSQL connection."""
    command_timeout_seconds: float = 60.0
    """Deadline of one statement in workers and commands."""
    request_timeout_seconds: float = 10.0
    """Deadline of one statement (and of taking a pooled connection) inside an API request:
    a silent server costs this, then 503 naming `postgres`."""


class AwsSettings(msgspec.Struct, frozen=True, kw_only=True):
    region: str = "eu-west-2"
    """AWS region of every AWS service used."""
    endpoint_url: str | None = None
    """Set to moto server's URL locally and in tests; unset in AWS."""
    timeout_seconds: float = 10.0
    """Connect and read timeout of every AWS call."""
    audit_key_id: str = "alias/ff-audit"
    """KMS key (id, ARN or alias) that wraps the audit log's per-customer data keys."""


class CognitoSettings(msgspec.Struct, frozen=True, kw_only=True):
    customer_pool_id: str
    """The customer portal's user pool."""
    customer_client_id: str
    """The customer portal's app client in that pool."""
    staff_pool_id: str
    """The staff portal's user pool; roles are its groups."""
    staff_client_id: str
    """The staff portal's app client in that pool."""
    jwks_base_url: str | None = None
    """Where ``<pool id>/.well-known/jwks.json`` is served; defaults to the pools' issuer URL
    (set it to moto server's URL locally)."""
    jwks_cache_seconds: int = 3600
    """How long signing keys are cached before being fetched again."""
    leeway_seconds: int = 30
    """Clock skew tolerated on token expiry."""


class WorkerSettings(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None = None
    """The worker this container runs (`ff health worker` checks its heartbeat)."""
    cron_enabled: bool = True
    """Run the workers' cron jobs in process (false where a scheduler runs `ff run TASK --once`)."""
    shutdown_grace_seconds: int = 25
    """On SIGTERM a worker takes no new job and lets running ones finish for this long; a job
    still running then is cancelled and handed back to the queue (keep it under the task's stop
    timeout)."""
    reconnect_max_seconds: float = 30.0
    """Longest wait between a worker's attempts to reach Redis again during an outage."""
    retry_max_seconds: int = 300
    """Longest deferral of a job retried after an infrastructure error (backoff doubles)."""
    stuck_after_minutes: int = 30
    """Records in an in-flight state (`syncing`, `creating`...) untouched this long are
    re-queued by the sweeper."""


class ObservabilitySettings(msgspec.Struct, frozen=True, kw_only=True):
    service_name: str = "ff"
    """OpenTelemetry service.name of this process (the deployable's name)."""
    deployment: str = "local"
    """OpenTelemetry deployment.environment (dev, staging, production...)."""
    otlp_endpoint: str | None = None
    """OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318); unset: traces are not exported."""
    traces_sample_ratio: float = 1.0
    """Share of new traces sampled (a caller's sampled flag is always followed)."""
    metrics_port: int | None = None
    """Port of a worker's Prometheus /metrics endpoint; unset: none (the API serves /metrics)."""
