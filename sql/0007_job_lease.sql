-- omsi-catalog schema, migration 0007: several daemons (hosts) on one
-- catalog (issue 14). A daemon's running job holds a lease: the host and
-- the time it expires (unix seconds), renewed by its worker while it runs.
-- A job whose lease expired (its host died) may be taken by any host; one
-- without a lease (a manual ingest, a job from before 0007) only by its own
-- host's restart. sources/output_files: the host that converted them.
ALTER TABLE jobs ADD COLUMN host TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at REAL;
ALTER TABLE sources ADD COLUMN host TEXT;
ALTER TABLE output_files ADD COLUMN host TEXT;
CREATE INDEX jobs_lease ON jobs(state, lease_expires_at);
