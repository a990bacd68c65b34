-- omsi-catalog schema, migration 0004: who runs a job, and what the daemon
-- saw of the dataset when it queued it.
-- owner_pid/owner_start: the worker that claimed the job (pid and its start
-- time, field 22 of /proc/PID/stat), so that a restarted daemon waits for
-- (or kills) a worker that outlived it before taking its job again.
-- seen_files/seen_bytes/seen_mtime_ns: the dataset's file count, total size
-- and newest mtime when queued; an unchanged dataset is not queued again.
ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
ALTER TABLE jobs ADD COLUMN owner_start INTEGER;
ALTER TABLE jobs ADD COLUMN seen_files INTEGER;
ALTER TABLE jobs ADD COLUMN seen_bytes INTEGER;
ALTER TABLE jobs ADD COLUMN seen_mtime_ns INTEGER;
