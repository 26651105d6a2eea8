-- obv-archiver's archive: every application with an Open Banking Vision reference, every version
-- of its report (the canonical payload, its SHA-256, and the report as rows), the payloads that
-- failed validation, every run, and the Dynamics watermark discovery continues from.

create schema if not exists obv;

create table obv.archive_runs (
    run_id uuid primary key,
    trigger text not null check (trigger in ('schedule', 'command')),
    started_at timestamptz not null,
    finished_at timestamptz,
    status text not null
        check (status in ('running', 'succeeded', 'completed_with_failures', 'failed', 'abandoned')),
    since timestamptz,
    reference text,
    watermark_before timestamptz,
    watermark_after timestamptz,
    discovered integer not null default 0,
    found integer not null default 0,
    archived integer not null default 0,
    unchanged integer not null default 0,
    quarantined integer not null default 0,
    failed integer not null default 0,
    skipped integer not null default 0,
    transactions_archived bigint not null default 0,
    error text,
    backend_pid integer
);

create index archive_runs_started_at on obv.archive_runs (started_at desc);

-- One row per watermark name; discovery reads applications modified after it.
create table obv.watermark (
    name text primary key,
    modified_on timestamptz not null,
    run_id uuid references obv.archive_runs (run_id),
    updated_at timestamptz not null
);

-- Every application discovery has seen. `pending` is the durable to-do list: set when Dynamics
-- shows a modification newer than the last one archived, cleared only in the transaction that
-- archives (or finds unchanged) its report. Failures and quarantines leave it set.
create table obv.applications (
    application_id text primary key,
    platform_id text,
    application_reference text,
    obv_reference text not null,
    dynamics_modified_on timestamptz not null,
    archived_modified_on timestamptz,
    pending boolean not null default true,
    current_version integer,
    first_seen_at timestamptz not null,
    last_seen_at timestamptz not null,
    last_attempt_at timestamptz,
    last_outcome text
        check (last_outcome in ('archived', 'unchanged', 'quarantined', 'failed')),
    last_error text,
    attempts integer not null default 0
);

create index applications_pending on obv.applications (dynamics_modified_on) where pending;
create index applications_obv_reference on obv.applications (obv_reference);

-- A version is immutable: a changed report adds version n+1 and keeps every earlier one.
create table obv.report_versions (
    version_id bigint generated always as identity primary key,
    application_id text not null references obv.applications (application_id),
    version integer not null check (version > 0),
    obv_reference text not null,
    report_application_reference text not null,
    payload_sha256 char(64) not null,
    payload bytea not null,
    generated_at timestamptz not null,
    first_available_at timestamptz,
    last_available_at timestamptz,
    account_count integer not null,
    balance_count integer not null,
    transaction_count integer not null,
    archived_at timestamptz not null,
    run_id uuid not null references obv.archive_runs (run_id),
    unique (application_id, version)
);

create table obv.accounts (
    version_id bigint not null references obv.report_versions (version_id),
    account_id text not null,
    currency char(3) not null,
    account_type text not null,
    account_subtype text not null,
    nickname text,
    scheme_name text,
    identification text,
    holder_name text,
    -- Recorded when archived, from the report; obv-verify recounts them from the rows below.
    transaction_count integer not null,
    credits_pence bigint not null,
    debits_pence bigint not null,
    balance_count integer not null,
    balances_pence bigint not null,
    primary key (version_id, account_id)
);

-- Amounts are signed pence: money in (credit) positive, money out (debit) negative.
create table obv.balances (
    version_id bigint not null,
    seq integer not null,
    account_id text not null,
    balance_type text not null,
    amount_pence bigint not null,
    currency char(3) not null,
    balance_at timestamptz not null,
    credit_line_pence bigint,
    primary key (version_id, seq),
    foreign key (version_id, account_id) references obv.accounts (version_id, account_id)
);

create table obv.transactions (
    version_id bigint not null,
    account_id text not null,
    transaction_id text not null,
    seq integer not null,
    status text not null,
    booked_at timestamptz not null,
    booked_offset_minutes integer not null,
    value_at timestamptz,
    amount_pence bigint not null,
    currency char(3) not null,
    transaction_reference text,
    description text,
    bank_code text,
    bank_sub_code text,
    proprietary_code text,
    running_balance_pence bigint,
    merchant_name text,
    merchant_category_code text,
    primary key (version_id, account_id, transaction_id),
    foreign key (version_id, account_id) references obv.accounts (version_id, account_id)
);

-- The provider's categorised analysis: the figures a decision used, as columns; the platform's
-- whole reading of it, and the section exactly as the provider sent it.
create table obv.analysis (
    version_id bigint primary key references obv.report_versions (version_id),
    period_start timestamptz not null,
    period_end timestamptz not null,
    months_analysed integer not null,
    monthly_income_pence bigint not null,
    monthly_essential_spend_pence bigint not null,
    monthly_credit_commitments_pence bigint not null,
    monthly_discretionary_spend_pence bigint not null,
    gambling_transactions integer not null,
    gambling_total_pence bigint not null,
    gambling_share_of_income_bps integer not null,
    returned_payments integer not null,
    returned_payments_total_pence bigint not null,
    days_overdrawn integer not null,
    flags text[] not null,
    summary jsonb not null,
    provider_summary jsonb not null
);

-- Payloads that failed validation, exactly as received, with every reason. The same bad payload
-- seen again is counted, not stored twice; a later good version resolves it.
create table obv.quarantine (
    quarantine_id bigint generated always as identity primary key,
    application_id text not null references obv.applications (application_id),
    obv_reference text not null,
    payload_sha256 char(64) not null,
    payload bytea not null,
    reasons jsonb not null,
    first_seen_at timestamptz not null,
    last_seen_at timestamptz not null,
    seen_count integer not null default 1,
    first_run_id uuid references obv.archive_runs (run_id),
    last_run_id uuid references obv.archive_runs (run_id),
    resolved_at timestamptz,
    resolved_by_version_id bigint references obv.report_versions (version_id),
    unique (application_id, payload_sha256)
);

create index quarantine_unresolved on obv.quarantine (application_id) where resolved_at is null;
