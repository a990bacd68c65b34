-- omsi-catalog schema, migration 0004 (PostgreSQL dialect of
-- sql/0004_job_owner.sql): who runs a job, and what the daemon saw of the
-- dataset when it queued it.
-- owner_pid/owner_start: the worker that claimed the job (pid and its start
-- time, field 22 of /proc/PID/stat).
-- seen_files/seen_bytes/seen_mtime_ns: the dataset's file count, total size
-- and newest mtime when queued; an unchanged dataset is not queued again.
ALTER TABLE jobs ADD COLUMN owner_pid bigint;
ALTER TABLE jobs ADD COLUMN owner_start bigint;
ALTER TABLE jobs ADD COLUMN seen_files bigint;
ALTER TABLE jobs ADD COLUMN seen_bytes bigint;
ALTER TABLE jobs ADD COLUMN seen_mtime_ns bigint;
