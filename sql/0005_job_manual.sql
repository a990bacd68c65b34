-- omsi-catalog schema, migration 0005: jobs taken in hand by a manual
-- `omsi-catalog ingest` record their owner too (owner_pid, owner_start, as
-- the daemon's workers do since 0004), marked owner_manual = 1. A daemon
-- starting meanwhile must neither wait for nor kill such a process (it is
-- not one of its workers), nor put its job back to pending while it lives;
-- a dead one's job is requeued like an interrupted worker's.
ALTER TABLE jobs ADD COLUMN owner_manual INTEGER NOT NULL DEFAULT 0;
