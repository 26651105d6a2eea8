"""Settings: the environment parsed once into frozen Structs.

Every variable is ``FF_<SECTION>_<FIELD>`` (``FF_MONGO_URL``), or ``FF_<FIELD>`` for the top-level
fields (``FF_ENVIRONMENT``). A field without a default is required. A value of the form
``ssm:/path/to/parameter`` is fetched from SSM Parameter Store (with decryption) at start-up by
:func:`resolve_ssm_references`, so secrets never need to sit in a task definition.
"""

from __future__ import annotations

import itertools
import os
import types
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Literal

import msgspec

from ff_shared.errors import SettingsError

PREFIX = "FF_"
SSM_PREFIX = "ssm:"

Environment = Literal["local", "test", "production"]
S = typing.TypeVar("S", bound=msgspec.Struct)


class ApiSettings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    """Interface the API binds to."""
    port: int = 8000
    """Port the API listens on."""
    max_body_bytes: int = 65_536
    """Largest request body accepted; larger ones get 413."""
    cors_origins: str = "http://localhost:3000"
    """Comma-separated origins of the customer and staff portals."""
    docs_enabled: bool = True
    """Serve the OpenAPI document and Swagger UI under /schema."""


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


class PostgresSettings(msgspec.Struct, frozen=True, kw_only=True):
    dsn: str = "postgresql://postgres@127.0.0.1:5432/fairfinance"
    """PostgreSQL for the archives, catalogues and tracker data."""
    min_pool_size: int = 1
    """Smallest asyncpg pool."""
    max_pool_size: int = 10
    """Largest asyncpg pool."""


class AwsSettings(msgspec.Struct, frozen=True, kw_only=True):
    region: str = "eu-west-2"
    """AWS region of every AWS service used."""
    endpoint_url: str | None = None
    """Set to moto server's URL locally and in tests; unset in AWS."""
    timeout_seconds: float = 10.0
    """Connect and read timeout of every AWS call."""


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


class ProductSettings(msgspec.Struct, frozen=True, kw_only=True):
    min_amount_pence: int = 20_000
    """Smallest loan."""
    max_amount_pence: int = 300_000
    """Largest loan."""
    amount_step_pence: int = 5_000
    """Loan amounts are multiples of this above the minimum."""
    min_term_months: int = 3
    """Shortest term."""
    max_term_months: int = 24
    """Longest term."""
    annual_rate_bps: int = 3_600
    """Fixed nominal annual interest rate in basis points (3600 = 36%)."""


class LoanBookSettings(msgspec.Struct, frozen=True, kw_only=True):
    connection_string: str = (
        "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;"
        "Database=fairfinance_loanbook;Uid=postgres;"
    )
    """ODBC connection string of the loan book (SQL Server: ODBC Driver 18 for SQL Server)."""
    min_pool_size: int = 0
    """Connections opened at start-up (0: on first use; a loan book down never stops start-up)."""
    max_pool_size: int = 5
    """Largest aioodbc pool of loan-book connections."""
    connect_timeout_seconds: int = 5
    """Login timeout of a new loan-book connection."""
    query_timeout_seconds: int = 15
    """Longest a loan-book query may run before it is cancelled."""


class AnchorLmsSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = "http://127.0.0.1:8102/AnchorCollections.svc"
    """Anchor LMS SOAP endpoint (the local simulator by default)."""
    username: str = "fairfinance"
    """UserName in every request's Credentials."""
    user_id: str = "1001"
    """UserID in every request's Credentials."""
    password: str = "local-simulator-password"
    """Password in every request's Credentials (a secret: use ssm:/... outside local)."""
    timeout_seconds: float = 20.0
    """Read timeout of each SOAP call."""
    connect_timeout_seconds: float = 5.0
    """Connect timeout of each SOAP call."""
    max_attempts: int = 3
    """Tries of a call that failed in a retryable way before the error is raised."""
    backoff_seconds: float = 0.25
    """First pause between tries (doubled each time, with jitter)."""
    job_retry_seconds: float = 15.0
    """First delay before the loan-booking job tries again (doubled each try, up to 15 min)."""


class LmsSettings(msgspec.Struct, frozen=True, kw_only=True):
    queue_name: str = "ff:queue:lms"
    """The lms-restorer worker's arq queue."""
    sftp_host: str = "127.0.0.1"
    """SFTP server publishing Anchor LMS's nightly `.sqb` backups."""
    sftp_port: int = 22
    """Its port (the local stack's is 8122)."""
    sftp_username: str = "lms"
    """SFTP login."""
    sftp_password: str | None = None
    """SFTP password (a secret: use ssm:/...); unset when a private key is used."""
    sftp_private_key_path: str | None = None
    """OpenSSH private key file for SFTP key authentication."""
    sftp_host_key: str | None = None
    """The server's pinned public host key (`ssh-ed25519 AAAA...`); no connection without it."""
    sftp_directory: str = "/backups"
    """Remote directory listed for `*.sqb` backups."""
    sftp_settle_seconds: float = 5.0
    """Pause between the two listings that tell a finished file from one still being written."""
    sftp_timeout_seconds: float = 30.0
    """Connect timeout and longest silence of a transfer."""
    work_dir: str = ".ff/lms"
    """Local work directory for downloads and converted files."""
    bucket: str = "ff-lms-backups"
    """S3 bucket archiving original and converted backups."""
    multipart_part_bytes: int = 16 * 1024 * 1024
    """S3 multipart part size; files up to one part are uploaded in one request."""
    converter_command: str | None = None
    """Converter command template with {input} {output} and {password_file} (or {password});
    unset: conversion is not configured on this host."""
    converter_timeout_seconds: float = 3600.0
    """Longest a conversion may run before it is killed."""
    converter_password_parameter: str | None = None
    """SSM parameter (SecureString) holding the backups' encryption password."""
    target_server_version: int = 904
    """Internal database version of the restore target (904 = SQL Server 2019, 957 = 2022)."""
    restore_mode: Literal["none", "rds", "disk"] = "none"
    """`rds`: RDS native restore; `disk`: RESTORE DATABASE FROM DISK; `none`: not configured."""
    sqlserver_connection_string: str | None = None
    """ODBC connection string to the restore target's `master` (a secret: use ssm:/...)."""
    restore_database_prefix: str = "loanbook"
    """Restored databases are named `<prefix>_<YYYYMMDD>_<HHMMSS>`."""
    restore_disk_directory: str | None = None
    """Directory of the converted files as SQL Server sees it (disk mode; default: work_dir)."""
    restore_data_directory: str | None = None
    """Where a disk restore puts data and log files (default: the instance's default paths)."""
    restore_poll_seconds: float = 60.0
    """How often the RDS task status is polled."""
    restore_timeout_seconds: float = 4 * 3600.0
    """Longest a restore may take before it is cancelled and reported failed."""
    verify_required_tables: str = "Customers,Agreements,ScheduleInstalments,Transactions"
    """Comma-separated tables the restored loan book must have."""
    verify_row_count_tolerance_percent: float = 10.0
    """Largest change in a table's row count from the previous restore that still verifies."""
    verify_transactions_table: str = "Transactions"
    """Table whose newest date shows how fresh the backup is."""
    verify_transaction_date_column: str = "TransactionDate"
    """Its date column."""
    verify_max_transaction_age_days: int = 4
    """The newest transaction may be at most this many days old."""
    verify_checkdb: bool = True
    """Run DBCC CHECKDB on the restored database where the server allows it."""
    alert_sender: str = "lms-restorer@fairfinance.example"
    """SES sender of failure alerts (a verified identity)."""
    alert_recipients: str = "operations@fairfinance.example"
    """Comma-separated recipients of failure alerts."""
    retention_days: int = 35
    """Archived backups older than this are deleted from S3..."""
    retention_keep_newest: int = 7
    """...except the newest this many, which are always kept."""
    max_step_attempts: int = 3
    """Automatic runs retry a failed step this many times; then an operator must re-run it."""


class DynamicsSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = "http://127.0.0.1:8101/api/data/v9.2"
    """Dataverse Web API root called directly (the local simulator); unused with a gateway."""
    gateway_url: str | None = None
    """The Web API root behind the secure gateway (`https://GATEWAY/dynamics/api/data/v9.2`):
    when set, calls go there with no credential (the gateway injects its token)."""
    token_url: str = "http://127.0.0.1:8101/ff-local-tenant/oauth2/v2.0/token"
    """OAuth2 token endpoint for the client-credentials grant (Entra ID in production)."""
    client_id: str = "ff-local-client"
    """OAuth2 client id of the platform's app registration."""
    client_secret: str | None = "ff-local-secret"
    """OAuth2 client secret (a secret: use ssm:/... outside local); unused with a gateway."""
    scope: str = "http://127.0.0.1:8101/.default"
    """OAuth2 scope: the Dataverse environment's URL followed by /.default."""
    timeout_seconds: float = 10.0
    """Longest wait for one request's complete answer."""
    retry_deadline_seconds: float = 30.0
    """Longest one call may take, retries and Retry-After waits included."""
    page_size: int = 500
    """Rows per page asked for with Prefer: odata.maxpagesize (Dataverse allows up to 5000)."""
    token_refresh_margin_seconds: float = 300.0
    """A cached token is replaced this long before it expires."""
    upsert_by: Literal["alternate_key", "query"] = "alternate_key"
    """How records are matched on ff_platformid: an alternate-key PATCH, or a query then a write."""
    retry_defer_seconds: float = 15.0
    """First wait before a failed CRM sync job runs again; doubled each try, at most 10 minutes."""


class PaymentsSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = "http://127.0.0.1:8104"
    """The payment provider's API root (GoCardless's shape; the simulator here)."""
    access_token: str = "ff-local-payments-token"
    """Bearer token for the provider's API (a secret: use ssm:/... outside local)."""
    webhook_secret: str = "ff-local-webhook-secret"
    """The webhook endpoint's secret the provider signs with (a secret)."""
    timeout_seconds: float = 10.0
    """Longest wait for one request's complete answer."""
    retry_deadline_seconds: float = 20.0
    """Longest one call may take, retries included."""
    return_url: str | None = None
    """Where the hosted pages send the customer afterwards (the customer portal); none: stay."""
    lead_working_days: int = 3
    """Bacs: working days from creating a collection to its earliest charge date."""
    retry_defer_seconds: float = 10.0
    """First wait before a failed payments job runs again; doubled each try."""


class ObvSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = "http://127.0.0.1:8103"
    """Open Banking Vision API root called directly (the local simulator); unused with a gateway."""
    gateway_url: str | None = None
    """OBV behind the secure gateway (`https://GATEWAY/obv`): when set, calls go there with no
    API key (the gateway injects it)."""
    api_key: str | None = "ff-local-obv-key"
    """OBV API key sent as x-api-key (a secret: use ssm:/... outside local); unused with a
    gateway."""
    timeout_seconds: float = 15.0
    """Longest wait for one request's complete answer."""
    retry_deadline_seconds: float = 30.0
    """Longest one call may take, retries and Retry-After waits included."""
    callback_url: str = "http://127.0.0.1:8000/v1/open-banking/callback"
    """Where OBV sends the customer back after the bank journey."""
    poll_interval_seconds: float = 10.0
    """How often an unfinished consent is checked again."""
    retry_defer_seconds: float = 15.0
    """First wait before a failed open-banking job runs again; doubled each try, at most 10 min."""


class ObvArchiverSettings(msgspec.Struct, frozen=True, kw_only=True):
    queue_name: str = "ff:queue:obv-archiver"
    """The obv-archiver worker's arq queue (its scheduled runs are enqueued there)."""
    max_in_flight: int = 4
    """Most OBV report fetches in flight at once; each also holds one PostgreSQL connection."""
    overlap_seconds: float = 300.0
    """Discovery re-reads this far behind the watermark, so late-committed CRM changes are seen."""
    store_attempts: int = 3
    """Tries to write one application when PostgreSQL drops the connection mid-transaction."""
    progress_seconds: float = 5.0
    """How often a long `ff obv-archive` run prints its progress."""


class ReviewSettings(msgspec.Struct, frozen=True, kw_only=True):
    four_eyes_threshold_pence: int = 150_000
    """Approvals of more than this need a second, different senior underwriter."""


class DocumentSettings(msgspec.Struct, frozen=True, kw_only=True):
    bucket: str = "ff-documents"
    """S3 bucket holding customers' uploaded documents."""
    max_bytes: int = 10 * 1024 * 1024
    """Largest document accepted; the presigned upload policy enforces it."""
    upload_expires_seconds: int = 900
    """How long a presigned upload URL stays valid."""
    download_expires_seconds: int = 300
    """How long a presigned download URL stays valid."""


class EmailSettings(msgspec.Struct, frozen=True, kw_only=True):
    sender: str = "no-reply@fairfinance.example"
    """SES sender of customer e-mails (a verified identity)."""


class TrackerSettings(msgspec.Struct, frozen=True, kw_only=True):
    queues: str = ""
    """Environment to SQS FIFO queue URL as ``name=url,name=url``; others are refused."""
    default_environment: str = "production"
    """Environment of events that name none."""
    bucket: str = "ff-tracker"
    """S3 bucket of the raw event lake (``raw/``) and the daily CSV extracts (``extracts/``)."""
    max_batch_events: int = 100
    """Most events one ``POST /v1/track`` batch may carry."""
    max_event_bytes: int = 4096
    """Largest single event, as JSON, accepted."""
    max_future_skew_seconds: int = 300
    """How far ahead of the server an event's ``client_time`` may be."""
    max_past_age_seconds: int = 86400
    """How old an event's ``client_time`` may be when it arrives."""
    rate_limit_per_minute: int = 120
    """Tracking requests one client (address) may make per minute."""
    queue_name: str = "ff:queue:tracker-processor"
    """The tracker-processor worker's arq queue (its cron jobs)."""
    batch_messages: int = 100
    """Messages the processor gathers (in receives of 10) before writing one batch."""
    wait_seconds: int = 10
    """SQS long-poll wait of each receive."""
    visibility_timeout_seconds: int = 60
    """How long a received batch stays hidden; a processor killed mid-batch is retried after it."""
    poison_retry_seconds: int = 30
    """Delay before an undecodable message is received again (it reaches the DLQ after
    ``max_receives``)."""
    max_receives: int = 5
    """Receives before SQS moves a message to the DLQ (the redrive policy of queues we create)."""
    duplicate_window_days: int = 30
    """Applications sharing an identity hash within this many days are clustered."""
    seen_retention_days: int = 15
    """How long processed event ids are kept for de-duplication (SQS keeps at most 14 days)."""


class WorkerSettings(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None = None
    """The worker this container runs (`ff health worker` checks its heartbeat)."""
    cron_enabled: bool = True
    """Run the workers' cron jobs in process (false where a scheduler runs `ff run TASK --once`)."""


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


class GoogleAnalyticsSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = "http://127.0.0.1:8105"
    """GA4 Data API root (https://analyticsdata.googleapis.com in production; a simulator here)."""
    property_id: str = "400000001"
    """The GA4 property whose traffic the marketing reports read."""
    credentials_json: str = ""
    """Service-account key JSON (a secret: use ssm:/... outside local); empty: anonymous, which
    only a loopback simulator accepts."""
    timeout_seconds: float = 15.0
    """Longest wait for one report's answer, retries included."""
    cache_seconds: int = 900
    """How long a report is kept in Redis before GA is asked again."""


class AnalystSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = "http://127.0.0.1:8106"
    """Anthropic Messages API root (https://api.anthropic.com in production; a simulator here)."""
    api_key: str = "ff-local-claude-key"
    """Anthropic API key (a secret: use ssm:/... outside local)."""
    model: str = "claude-sonnet-5"
    """The model the analyst asks."""
    max_tokens: int = 1024
    """Longest answer of one model turn, in tokens."""
    max_tool_rounds: int = 4
    """Most tool-call rounds one question may take before the analyst stops."""
    question_token_budget: int = 40_000
    """Tokens (input and output) one question may spend over all its turns."""
    user_daily_token_budget: int = 200_000
    """Tokens one staff member may spend in a day (UTC)."""
    platform_daily_token_budget: int = 2_000_000
    """Tokens the whole platform may spend in a day (UTC)."""
    input_price_per_mtok_pence: int = 240
    """Price of a million input tokens, in pence, for the cost shown with each answer."""
    output_price_per_mtok_pence: int = 1200
    """Price of a million output tokens, in pence."""
    timeout_seconds: float = 60.0
    """Longest wait for one model turn."""
    retries: int = 3
    """Times a 429 or 529 (overloaded) answer is retried, with exponential backoff."""
    retry_base_seconds: float = 1.0
    """First backoff before a retry; doubled each time."""


class AdpSettings(msgspec.Struct, frozen=True, kw_only=True):
    bucket: str = "ff-adp"
    """S3 bucket of the financial data platform's Parquet lake and its kept reports."""
    prefix: str = "adp"
    """Key prefix of the lake inside the bucket (runs, staging and the manifest live under it)."""
    queue_name: str = "ff:queue:adp"
    """The adp worker's arq queue (its cron jobs)."""
    customer_key_salt: str = "ff-local-adp-salt"
    """Salt of the one-way customer keys in the lake (a secret: ``ssm:/...`` in production)."""
    query_engine: Literal["duckdb", "athena"] = "duckdb"
    """Where report queries run: embedded DuckDB over the Parquet, or Athena over Glue."""
    glue_database: str = ""
    """Glue database whose tables are pointed at each published run (empty: none)."""
    athena_workgroup: str = "primary"
    """Athena workgroup of report queries when ``query_engine`` is ``athena``."""
    athena_output: str = ""
    """S3 URL Athena writes query results to (``s3://bucket/prefix/``)."""
    report_recipients: str = ""
    """Comma-separated addresses of the weekly management report (empty: not sent)."""
    report_sender: str = "reports@fairfinance.example"
    """SES sender of the weekly management report (a verified identity)."""
    cache_seconds: float = 30.0
    """How long the API keeps the lake's tables in memory before checking for a newer run."""
    snapshot_months: int = 36
    """Month-end arrears snapshots rebuilt each run, going back from the run date."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    environment: Environment = "local"
    """`production` refuses test-only stand-ins."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Lowest level logged."""
    log_json: bool = True
    """JSON log lines (false: human-readable console lines)."""
    api: ApiSettings = ApiSettings()
    mongo: MongoSettings = MongoSettings()
    redis: RedisSettings = RedisSettings()
    postgres: PostgresSettings = PostgresSettings()
    aws: AwsSettings = AwsSettings()
    cognito: CognitoSettings
    product: ProductSettings = ProductSettings()
    lms: LmsSettings = LmsSettings()
    loanbook: LoanBookSettings = LoanBookSettings()
    anchor_lms: AnchorLmsSettings = AnchorLmsSettings()
    dynamics: DynamicsSettings = DynamicsSettings()
    obv: ObvSettings = ObvSettings()
    payments: PaymentsSettings = PaymentsSettings()
    obv_archiver: ObvArchiverSettings = ObvArchiverSettings()
    review: ReviewSettings = ReviewSettings()
    documents: DocumentSettings = DocumentSettings()
    email: EmailSettings = EmailSettings()
    tracker: TrackerSettings = TrackerSettings()
    worker: WorkerSettings = WorkerSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    google_analytics: GoogleAnalyticsSettings = GoogleAnalyticsSettings()
    analyst: AnalystSettings = AnalystSettings()
    adp: AdpSettings = AdpSettings()


class Variable(msgspec.Struct, frozen=True, kw_only=True):
    """One environment variable as documented: its name, type and default."""

    name: str
    type: str
    default: str | None
    required: bool
    doc: str | None


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(str(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "unset"
    return getattr(tp, "__name__", str(tp))


def _field_docs(cls: type[msgspec.Struct]) -> dict[str, str]:
    """Attribute docstrings, read from the source so the settings table explains each variable."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    docs: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node, nxt in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def _walk(
    cls: type[msgspec.Struct], prefix: str
) -> Iterator[tuple[str, msgspec.structs.FieldInfo, type[msgspec.Struct]]]:
    for field in msgspec.structs.fields(cls):
        if _is_struct(field.type):
            yield from _walk(field.type, f"{prefix}{field.name.upper()}_")
        else:
            yield f"{prefix}{field.name.upper()}", field, cls


def variables(cls: type[msgspec.Struct] = Settings) -> list[Variable]:
    """Every variable the settings read, for docs/settings.md and ``ff settings``."""
    out: list[Variable] = []
    docs_cache: dict[type[msgspec.Struct], dict[str, str]] = {}
    for name, field, owner in _walk(cls, PREFIX):
        docs = docs_cache.setdefault(owner, _field_docs(owner))
        required = field.required
        default: str | None = None
        if not required:
            value = field.default
            default = (
                ""
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        out.append(
            Variable(
                name=name,
                type=_type_name(field.type),
                default=default,
                required=required,
                doc=docs.get(field.name),
            )
        )
    return out


def _section(
    cls: type[msgspec.Struct], env: Mapping[str, str], prefix: str, problems: list[str]
) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for field in msgspec.structs.fields(cls):
        name = f"{prefix}{field.name.upper()}"
        if _is_struct(field.type):
            nested = _section(field.type, env, f"{name}_", problems)
            raw[field.name] = nested
            continue
        value = env.get(name)
        if value is None or value == "":
            if field.required:
                problems.append(f"{name} is required but not set")
            continue
        try:
            raw[field.name] = msgspec.convert(value, field.type, strict=False)
        except msgspec.ValidationError as exc:
            problems.append(f"{name}={value!r} is not valid ({_type_name(field.type)}): {exc}")
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Parse the environment into :class:`Settings`; raise one error naming every bad variable."""
    environ = os.environ if env is None else env
    problems: list[str] = []
    raw = _section(Settings, environ, PREFIX, problems)
    if problems:
        raise SettingsError(problems)
    try:
        return msgspec.convert(raw, Settings)
    except msgspec.ValidationError as exc:  # pragma: no cover - every field was checked above
        raise SettingsError([str(exc)]) from exc


def settings_to_env(settings: msgspec.Struct, prefix: str = PREFIX) -> dict[str, str]:
    """The inverse of :func:`load_settings`: what a child process needs to see the same settings."""
    env: dict[str, str] = {}
    for field in msgspec.structs.fields(type(settings)):
        value = getattr(settings, field.name)
        name = f"{prefix}{field.name.upper()}"
        if isinstance(value, msgspec.Struct):
            env.update(settings_to_env(value, f"{name}_"))
        elif value is not None:
            env[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


async def resolve_ssm_references(settings: S, fetch: Callable[[str], Awaitable[str]]) -> S:
    """Replace every ``ssm:/name`` value with the parameter's (decrypted) value."""
    changes: dict[str, Any] = {}
    for field in msgspec.structs.fields(type(settings)):
        value = getattr(settings, field.name)
        if isinstance(value, msgspec.Struct):
            resolved = await resolve_ssm_references(value, fetch)
            if resolved is not value:
                changes[field.name] = resolved
        elif isinstance(value, str) and value.startswith(SSM_PREFIX):
            changes[field.name] = await fetch(value.removeprefix(SSM_PREFIX))
    return msgspec.structs.replace(settings, **changes) if changes else settings
