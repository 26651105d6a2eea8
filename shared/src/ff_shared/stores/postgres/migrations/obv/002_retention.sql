-- Erasure: an application's archive is deleted, or, where a loan was made on it, kept until a
-- date (retain_until, with the reason) after which the retention job deletes it.

alter table obv.applications add column retain_until date;
alter table obv.applications add column retention_reason text;

create index applications_retain_until on obv.applications (retain_until)
    where retain_until is not null;
