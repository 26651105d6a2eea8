-- lms-restorer's catalogue: every backup seen, every step's outcome, every run, every restore,
-- and which restored database the portals read (with the one before it, for rollback).

create schema if not exists lms;

create table lms.backups (
    id text primary key,
    file_name text not null unique,
    remote_path text not null,
    size_bytes bigint not null,
    remote_modified_at timestamptz not null,
    taken_at timestamptz not null,
    discovered_at timestamptz not null,
    sha256 text,
    published_checksum text,
    original_key text,
    converted_files jsonb not null default '[]'::jsonb,
    database_version integer,
    archive_deleted_at timestamptz
);

create index backups_taken_at on lms.backups (taken_at desc);

create table lms.runs (
    id text primary key,
    mode text not null,
    status text not null,
    trigger text not null,
    requested_by text,
    requested_role text,
    request_id text,
    backup_id text references lms.backups (id),
    step text,
    requested_at timestamptz not null,
    started_at timestamptz,
    finished_at timestamptz,
    summary text,
    error text
);

create index runs_requested_at on lms.runs (requested_at desc);

create table lms.backup_steps (
    backup_id text not null references lms.backups (id),
    step text not null,
    status text not null,
    attempts integer not null default 0,
    run_id text references lms.runs (id),
    started_at timestamptz,
    finished_at timestamptz,
    duration_ms bigint,
    size_bytes bigint,
    detail jsonb not null default '{}'::jsonb,
    error text,
    primary key (backup_id, step)
);

create table lms.run_steps (
    id bigserial primary key,
    run_id text not null references lms.runs (id),
    backup_id text not null references lms.backups (id),
    step text not null,
    status text not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    duration_ms bigint,
    size_bytes bigint,
    detail jsonb not null default '{}'::jsonb,
    error text
);

create index run_steps_run on lms.run_steps (run_id, id);

create table lms.archived_objects (
    key text primary key,
    backup_id text not null references lms.backups (id),
    kind text not null,
    size_bytes bigint not null,
    sha256 text not null,
    archived_at timestamptz not null,
    deleted_at timestamptz
);

create index archived_objects_backup on lms.archived_objects (backup_id);

create table lms.restores (
    database_name text primary key,
    backup_id text not null references lms.backups (id),
    run_id text references lms.runs (id),
    mode text not null,
    restored_at timestamptz not null,
    verified_at timestamptz,
    verified boolean,
    checks jsonb not null default '[]'::jsonb,
    row_counts jsonb
);

create table lms.loanbook (
    singleton boolean primary key default true check (singleton),
    current_database text not null,
    previous_database text,
    switched_at timestamptz not null,
    switched_by text not null,
    run_id text
);

create table lms.loanbook_switches (
    id bigserial primary key,
    from_database text,
    to_database text not null,
    reason text not null,
    actor text not null,
    run_id text,
    switched_at timestamptz not null
);

create table lms.ops_actions (
    id bigserial primary key,
    action text not null,
    actor text not null,
    roles text not null,
    request_id text,
    target text,
    detail jsonb not null default '{}'::jsonb,
    at timestamptz not null
);
