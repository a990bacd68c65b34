-- omsi-catalog schema, migration 0005 (PostgreSQL dialect of
-- sql/0005_job_manual.sql): jobs taken in hand by a manual
-- `omsi-catalog ingest` record their owner too, marked owner_manual = 1.
ALTER TABLE jobs ADD COLUMN owner_manual bigint NOT NULL DEFAULT 0;
