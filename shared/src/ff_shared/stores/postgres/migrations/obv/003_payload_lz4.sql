-- Payloads are TOAST-compressed with lz4 instead of pglz: writing a year-long report (about
-- 600 KB of JSON) costs PostgreSQL about a quarter of the CPU, for about a tenth more on disk.
-- The bytes stored and read back are the same; rows already written keep pglz until rewritten.
alter table obv.report_versions alter column payload set compression lz4;
alter table obv.quarantine alter column payload set compression lz4;
