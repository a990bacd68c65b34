-- omsi-catalog schema, version 3 (PostgreSQL dialect of
-- sql/0003_output_problems.sql): an output file found missing or damaged
-- by `omsi-catalog verify --repair` is marked, so that the next ingest of
-- its unchanged source converts it again instead of calling it unchanged.
ALTER TABLE output_files ADD COLUMN problem text; -- NULL = fine; 'missing' or 'checksum mismatch'
