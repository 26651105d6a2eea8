-- A booked payment the bank took back (a charge-back, or a failure after confirmation) is
-- reversed in the loan book once: when, and the LMS's reversal transaction.
alter table payments.payments add column reversed_at timestamptz;
alter table payments.payments add column lms_reversal_id bigint;
