/* The SQLite catalog: sources, jobs, output files, experiments, datasets,
 * regions, dependencies and metadata (schema in sql/, migrated on open).
 *
 * This header is the contract other modules (omsi-watchd, omsi-catalog) use.
 * The query API lives in catalog/query.h, recording in catalog/record.h; the
 * ingest pipeline that feeds it (classify, convert, record) is src/ingest/. */
#ifndef OMSI_CATALOG_H
#define OMSI_CATALOG_H

#include "base/omsi_error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct omsi_catalog omsi_catalog;

typedef enum omsi_catalog_mode {
    OMSI_CATALOG_READ_WRITE = 0, /* create if missing, migrate forward */
    OMSI_CATALOG_READ_ONLY = 1   /* must exist and be at the current schema version */
} omsi_catalog_mode;

/* Path of the catalog: explicit (non-NULL) > $OMSI_CATALOG > the default
 * /var/lib/omsi-catalog/catalog.sqlite. Returned string is static or the argument. */
const char *omsi_catalog_default_path(const char *explicit_path);

/* True for a PostgreSQL catalog (a postgresql:// or postgres:// URI);
 * anything else is the path of an SQLite file. */
bool omsi_catalog_is_uri(const char *target);

/* Opens path: an SQLite file, or a PostgreSQL database given by URI. */
int omsi_catalog_open(const char *path, omsi_catalog_mode mode, omsi_catalog **out,
                      omsi_error *err);
void omsi_catalog_close(omsi_catalog *cat);
/* The path it was opened with, and whether it was opened read-only. */
const char *omsi_catalog_path(const omsi_catalog *cat);
bool omsi_catalog_is_read_only(const omsi_catalog *cat);

/* Wall-clock unix seconds, the time base of job timestamps. */
double omsi_cat_wall_clock(void);

/* ---- jobs (the daemon's persistent queue) ---- */
typedef enum omsi_job_state {
    OMSI_JOB_PENDING,
    OMSI_JOB_RUNNING,
    OMSI_JOB_DONE,
    OMSI_JOB_FAILED,      /* failed, will be retried after next_attempt_at */
    OMSI_JOB_QUARANTINED  /* failed max_attempts times; needs an operator */
} omsi_job_state;

const char *omsi_job_state_name(omsi_job_state s);

typedef struct omsi_job {
    int64_t id;
    char *source_path;
    char *format;          /* may be NULL = detect */
    omsi_job_state state;
    int attempts;
    char *last_error;
    double next_attempt_at; /* unix seconds */
    /* Set by a claim that took the job over from a lease that expired:
     * the host and pid of the worker that held it (its partial file is
     * to be removed); NULL and 0 otherwise. */
    char *stale_host;
    pid_t stale_pid;
} omsi_job;

void omsi_job_free(omsi_job *job);

/* What the daemon saw of a dataset when it queued it (its settle signature). */
typedef struct omsi_job_seen {
    uint64_t files, bytes;
    int64_t mtime_ns;      /* newest mtime of its files */
} omsi_job_seen;

/* Finished jobs kept per source path (older ones are pruned when a job is
 * marked done). */
#define OMSI_JOB_HISTORY 20

/* Like omsi_catalog_job_enqueue, and: when the path's newest job is done or
 * quarantined with the same *seen, nothing is added and *unchanged is true
 * (a restart does not queue every dataset again); a quarantined job whose
 * dataset changed since is released (state done, last_error "superseded: the
 * dataset changed (quarantined: ...)") and a new pending job added. */
int omsi_catalog_job_enqueue_seen(omsi_catalog *cat, const char *source_path, const char *format,
                                  const omsi_job_seen *seen, int64_t *job_id, bool *unchanged,
                                  omsi_error *err);
/* Records a job quarantined without an attempt (the daemon's verdict on a
 * dataset that stays invalid), unless a job for it is pending or the newest
 * one saw the same files. */
int omsi_catalog_job_quarantine_now(omsi_catalog *cat, const char *source_path,
                                    const char *format, const omsi_job_seen *seen,
                                    const char *reason, int64_t *job_id, omsi_error *err);

/* *known: path has a job or a source in the catalog. */
int omsi_catalog_path_known(omsi_catalog *cat, const char *path, bool *known, omsi_error *err);

/* The worker recorded on a running job by omsi_catalog_job_claim. */
typedef struct omsi_job_owner {
    int64_t job_id;
    pid_t pid;
    uint64_t start;        /* /proc/PID/stat start time; 0 if unknown */
} omsi_job_owner;
/* The owners of the running jobs of daemon workers on this host
 * (omsi_proc_host; or recorded without a host) (*owners to free()); the
 * jobs of manual ingests (omsi_catalog_job_start) are not listed: those
 * processes are no daemon's to wait for or kill, nor are other hosts'. */
int omsi_catalog_job_running_owners(omsi_catalog *cat, omsi_job_owner **owners, size_t *count,
                                    omsi_error *err);

/* Adds a pending job for path unless an unfinished (pending/running/failed)
 * job for the same path exists. *job_id gets the new or existing id. */
int omsi_catalog_job_enqueue(omsi_catalog *cat, const char *source_path, const char *format,
                             int64_t *job_id, omsi_error *err);
/* Takes the oldest job that is pending, or failed with next_attempt_at <= now,
 * or running under a lease that expired before now (its host died: *job
 * says whose it was), and marks it running (attempts + 1), owned by this
 * process (host, pid and start time) under a lease until now +
 * lease_seconds (<= 0: no lease, the job never expires). Several hosts may
 * claim at once: each job goes to one (PostgreSQL: SELECT ... FOR UPDATE
 * SKIP LOCKED; SQLite: the write lock). Returns 1 with *job filled, 0 if
 * none. */
int omsi_catalog_job_claim_lease(omsi_catalog *cat, double now, double lease_seconds, omsi_job *job,
                                 omsi_error *err);
/* omsi_catalog_job_claim_lease without a lease. */
int omsi_catalog_job_claim(omsi_catalog *cat, double now, omsi_job *job, omsi_error *err);
/* Extends the lease of a job this process holds to now + lease_seconds.
 * Returns 1, or 0 when the job is no longer this process's (its lease
 * expired and another host took it over: stop converting it). */
int omsi_catalog_job_renew(omsi_catalog *cat, int64_t job_id, double now, double lease_seconds,
                           omsi_error *err);
/* At start-up: this host's jobs (or jobs recorded without a host) left
 * running by a dead process (or with no recorded owner) go back to
 * pending; a job whose recorded owner still runs (same pid and start time:
 * a manual ingest) stays running. Other hosts' running jobs are theirs
 * until their lease expires. */
int omsi_catalog_job_requeue_running(omsi_catalog *cat, int *count, omsi_error *err);
int omsi_catalog_job_done(omsi_catalog *cat, int64_t job_id, omsi_error *err);
/* Records the error; state becomes failed with next_attempt_at = now +
 * backoff_seconds * 2^(attempts-1), or quarantined when attempts >= max_attempts. */
int omsi_catalog_job_fail(omsi_catalog *cat, int64_t job_id, const char *error, double now,
                          int max_attempts, double backoff_seconds, omsi_error *err);
/* Puts a running job back to pending without counting an attempt (shutdown). */
int omsi_catalog_job_abandon(omsi_catalog *cat, int64_t job_id, omsi_error *err);
/* A running job that must wait (its dataset was incomplete or changed while
 * it was converted): retried at `when` with the reason recorded, the attempt
 * not counted. */
int omsi_catalog_job_defer(omsi_catalog *cat, int64_t job_id, const char *reason, double when,
                           omsi_error *err);

/* Records a job already taken in hand (a manual `omsi-catalog ingest`):
 * running, attempt 1, owned by this process (pid, start time, marked
 * manual), so the ingest shows in the job history and a daemon starting
 * meanwhile neither takes the job nor removes its partial file. */
int omsi_catalog_job_start(omsi_catalog *cat, const char *source_path, const char *format,
                           int64_t *job_id, omsi_error *err);

/* The state of one job (OMSI_ERR_USAGE when there is no such job). */
int omsi_catalog_job_state(omsi_catalog *cat, int64_t job_id, omsi_job_state *state,
                           omsi_error *err);

#endif
