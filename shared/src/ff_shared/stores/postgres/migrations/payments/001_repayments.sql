-- Repayments: Direct Debit mandates, collections and pay-now payments, the provider's webhook
-- events (stored before they are processed), and forbearance arrangements.
create schema if not exists payments;

-- One Direct Debit mandate set-up per accepted application (the loan it funds).
create table payments.mandates (
    application_id text primary key,
    customer_id text not null,
    request_id text not null unique,          -- the provider's billing request
    authorisation_url text not null,
    mandate_id text unique,                   -- set once the customer completes the hosted page
    status text not null,                     -- the provider's mandate status, or 'pending_customer_approval'
    failure_cause text,
    loan_id text,                             -- the LMS agreement number once the loan is booked
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index mandates_customer on payments.mandates (customer_id);

create table payments.payments (
    id bigserial primary key,
    kind text not null check (kind in ('collection', 'pay_now')),
    customer_id text not null,
    loan_id text not null,
    amount_pence integer not null check (amount_pence > 0),
    provider_payment_id text unique,          -- null for a pay-now until the customer pays
    request_id text unique,                   -- a pay-now's billing request
    authorisation_url text,
    idempotency_key text not null unique,
    instalment_number integer,                -- a collection's instalment
    charge_date date,
    status text not null,
    failure_cause text,
    retries integer not null default 0,
    booked_at timestamptz,                    -- when the loan book recorded it (once, on confirmation)
    lms_transaction_id bigint,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index payments_loan on payments.payments (loan_id, created_at desc);
create index payments_failed on payments.payments (status, updated_at desc)
    where status in ('failed', 'charged_back');
create unique index payments_one_collection_per_instalment
    on payments.payments (loan_id, instalment_number) where kind = 'collection';

-- Every webhook event, stored before processing: the id makes a replay a no-op.
create table payments.events (
    event_id text primary key,
    resource_type text not null,
    action text not null,
    resource_id text,
    cause text,
    description text,
    created_at timestamptz not null,
    received_at timestamptz not null,
    processed_at timestamptz,
    outcome text
);
create index events_unprocessed on payments.events (received_at) where processed_at is null;

create table payments.arrangements (
    id bigserial primary key,
    loan_id text not null,
    customer_id text not null,
    kind text not null check (kind in ('payment_plan', 'breathing_space')),
    starts_on date not null,
    ends_on date not null,
    instalment_pence integer,
    note text,
    agreed_by text not null,
    created_at timestamptz not null,
    ended_at timestamptz,
    check (ends_on >= starts_on)
);
create index arrangements_loan on payments.arrangements (loan_id);

create table payments.difficulty_requests (
    id bigserial primary key,
    loan_id text not null,
    customer_id text not null,
    kind text not null check (kind in ('collection_date', 'financial_difficulty')),
    preferred_day integer check (preferred_day between 1 and 28),
    message text,
    status text not null default 'open',
    created_at timestamptz not null
);
create index difficulty_open on payments.difficulty_requests (created_at) where status = 'open';
