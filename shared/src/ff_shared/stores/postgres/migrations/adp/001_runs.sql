-- The financial data platform's run reports: one row per pipeline run, published or failed,
-- with what came in from each source, what went out to each table, what was rejected and why,
-- and every data-quality check's result. Operations read them through the staff reports routes.
create schema if not exists adp;

create table adp.runs (
    run_id text primary key,
    run_date date not null,
    trigger text not null,
    status text not null check (status in ('running', 'published', 'failed')),
    started_at timestamptz not null,
    finished_at timestamptz,
    duration_seconds double precision,
    rows_in jsonb not null default '{}'::jsonb,
    rows_out jsonb not null default '{}'::jsonb,
    rows_rejected jsonb not null default '{}'::jsonb,
    checks jsonb not null default '[]'::jsonb,
    error text,
    manifest_key text
);
create index runs_started on adp.runs (started_at desc);
