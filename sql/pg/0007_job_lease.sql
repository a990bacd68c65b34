-- omsi-catalog schema (PostgreSQL), migration 0007: several daemons (hosts)
-- on one catalog (issue 14); the same as sql/0007_job_lease.sql. A running
-- job's lease: the host and its expiry (unix seconds), renewed by the
-- worker; an expired one is claimable by any host (FOR UPDATE SKIP LOCKED).
-- sources/output_files: the host that converted them.
ALTER TABLE jobs ADD COLUMN host TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at DOUBLE PRECISION;
ALTER TABLE sources ADD COLUMN host TEXT;
ALTER TABLE output_files ADD COLUMN host TEXT;
CREATE INDEX jobs_lease ON jobs(state, lease_expires_at);
