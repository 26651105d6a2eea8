"""Analytics: the event tracker, Google Analytics, the analyst, the data platform."""

from __future__ import annotations

from typing import Literal

import msgspec


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
    batch_messages: int = 1000
    """Most messages the processor gathers (in receives of 10) into one batch: one lake write
    and one commit, whose cost a larger batch shares among more events."""
    gather_seconds: float = 2.0
    """Longest the processor keeps receiving to fill a batch once its first message has arrived
    (a receive that returns nothing ends the batch sooner); at most a third of
    ``visibility_timeout_seconds``, so a batch has twice its gathering time to be written and
    deleted before its first messages could reappear."""
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

    def __post_init__(self) -> None:
        if self.batch_messages < 1:
            raise ValueError("batch_messages must be at least 1")
        if self.gather_seconds < 0:
            raise ValueError("gather_seconds must not be negative")
        if 3 * self.gather_seconds > self.visibility_timeout_seconds:
            raise ValueError(
                f"gather_seconds ({self.gather_seconds}) must be at most a third of "
                f"visibility_timeout_seconds ({self.visibility_timeout_seconds}), or a batch's "
                "first messages could reappear before it is written"
            )


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
