/* The worker pool: N forked processes, each with its own catalog connection
 * and its own HDF5 library state (one writer per process). A worker claims
 * jobs from the catalog queue, runs omsi_ingest_path, and marks them done or
 * failed (backoff, quarantine). SIGTERM cancels the conversion in hand (the
 * converter removes its temporary file) and puts the job back to pending.
 * The parent wakes workers through a pipe; closing it means "drain the
 * queue and exit" (--once). */
#ifndef OMSI_WATCHD_WORKERS_H
#define OMSI_WATCHD_WORKERS_H

#include "base/omsi_log.h"
#include "watchd/watchd_config.h"

#include "watchd/watchd_fork_guard.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct watchd_pool {
    pid_t *pids;            /* 0 = slot empty */
    unsigned count;
    int wake_fd;            /* write end; -1 once closed */
    int wake_read_fd;       /* read end, kept for respawning */
    unsigned failures;      /* workers that exited non-zero */
    double respawn_not_before; /* monotonic seconds */
} watchd_pool;

/* What each worker needs; copied into the child at fork. */
typedef struct watchd_worker_setup {
    const char *catalog_path;
    const char *output_dir;
    unsigned max_attempts;
    double retry_backoff;
    double lease_seconds;         /* of a claimed job, renewed while it runs */
    omsi_calibration calibration; /* passed to the readers */
    bool strict_checksums;
    const omsi_logger *log;
    watchd_fork_guard guard;      /* around each fork (not used by the child) */
} watchd_worker_setup;

int watchd_pool_start(watchd_pool *pool, unsigned workers, const watchd_worker_setup *setup,
                      omsi_error *err);
/* Wakes an idle worker (non-blocking). */
void watchd_pool_wake(watchd_pool *pool);
/* Reaps exited workers (non-blocking); with respawn, refills empty slots
 * (at most once a second; now: monotonic seconds). Returns how many run. */
unsigned watchd_pool_reap(watchd_pool *pool, const watchd_worker_setup *setup, bool respawn,
                          double now);
/* --once: tell workers no more jobs will come; they exit when the queue is empty. */
void watchd_pool_drain(watchd_pool *pool);
/* SIGTERM to every worker, then waits for all of them. */
void watchd_pool_stop(watchd_pool *pool);
/* Waits for every worker (after drain). */
void watchd_pool_wait(watchd_pool *pool);
void watchd_pool_free(watchd_pool *pool);

/* In a forked child: closes every descriptor from 3 up but keep. */
void watchd_close_fds_except(int keep);

#endif
