-- Journey tracking: processed event ids (exactly-once in effect), sessions and their steps,
-- validation errors per field, identity hashes seen, and the daily CSV extracts written to S3.
create schema if not exists tracker;

create table tracker.events_seen (
    event_id text primary key,
    session_id text not null,
    received_at timestamptz not null,
    processed_at timestamptz not null default now()
);
create index events_seen_processed_at on tracker.events_seen (processed_at);

create table tracker.sessions (
    session_id text primary key,
    origin_at timestamptz not null,
    origin_event_id text collate "C" not null,
    environment text not null,
    form text not null,
    anonymous_id text not null,
    first_seen timestamptz not null,
    last_seen timestamptz not null,
    events integer not null check (events > 0),
    furthest_step_index integer not null,
    submitted_at timestamptz,
    abandoned_at timestamptz,
    application_at timestamptz,
    application_event_id text collate "C",
    application_id text,
    context_at timestamptz,
    context_event_id text collate "C",
    source text not null,
    utm_source text,
    utm_medium text,
    utm_campaign text,
    referrer_host text,
    device text,
    updated_at timestamptz not null default now()
);
create index sessions_funnel on tracker.sessions (environment, form, first_seen);
create index sessions_application on tracker.sessions (application_id)
    where application_id is not null;

create table tracker.session_steps (
    session_id text not null,
    step text not null,
    step_index integer not null,
    first_at timestamptz not null,
    last_at timestamptz not null,
    events integer not null check (events > 0),
    completed_at timestamptz,
    primary key (session_id, step)
);

create table tracker.session_field_errors (
    session_id text not null,
    step text not null,
    field text not null,
    error_code text not null,
    errors integer not null check (errors > 0),
    primary key (session_id, step, field, error_code)
);

create table tracker.session_identities (
    session_id text not null,
    kind text not null,
    hash text not null,
    first_at timestamptz not null,
    primary key (session_id, kind, hash)
);
create index session_identities_hash on tracker.session_identities (kind, hash);

create table tracker.extracts (
    environment text not null,
    day date not null,
    kind text not null,
    key text not null,
    rows integer not null,
    bytes integer not null,
    created_at timestamptz not null,
    primary key (environment, day, kind)
);
