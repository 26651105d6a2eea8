"""Third parties: Anchor LMS and its backups, Dynamics, open banking verification."""

from __future__ import annotations

from typing import Literal

import msgspec


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
