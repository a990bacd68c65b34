/* The running daemon: its state, start-up (paths, catalog recovery, signals,
 * worker pool), SIGHUP reload and shut-down. The event loop that drives it
 * is watchd_loop.c. */
#ifndef OMSI_WATCHD_DAEMON_H
#define OMSI_WATCHD_DAEMON_H

#include "base/omsi_log.h"
#include "base/omsi_util.h"
#include "catalog/catalog.h"
#include "serve/serve.h"
#include "watchd/watchd_classify.h"
#include "watchd/watchd_config.h"
#include "watchd/watchd_inotify.h"
#include "watchd/watchd_notify.h"
#include "watchd/watchd_scan.h"
#include "watchd/watchd_settle.h"
#include "watchd/watchd_workers.h"

#include <stdbool.h>
#include <stdint.h>

/* Rescan interval when inotify runs out of watches. */
#define WATCHD_FALLBACK_POLL 30.0
/* Seconds a restarted daemon waits for the workers of its predecessor
 * (recorded on their running jobs) before it kills them. */
#define WATCHD_OWNER_WAIT 30
/* A dataset the reader still calls incomplete this many settle times after
 * its last change is quarantined with the reader's reason (docs/watchd.md). */
#define WATCHD_STUCK_FACTOR 10.0
/* Longest wait between two tries while the catalog is unreachable. */
#define WATCHD_CATALOG_RETRY_MAX 60.0

typedef struct watchd_daemon {
    watchd_invocation cli;
    watchd_config cfg;
    omsi_logger log;
    omsi_path_list roots;     /* canonical drop folders */
    char *output_dir;         /* canonical */
    char *catalog_path;
    omsi_catalog *cat;
    watchd_table table;
    watchd_watcher watcher;
    bool use_inotify;
    omsi_path_list dirty;
    bool full_rescan;
    double last_full_scan;
    watchd_pool pool;
    watchd_worker_setup setup;
    watchd_classifiers classify; /* children asking the readers; never this process */
    double classify_retry_at;    /* after a failed fork: monotonic seconds */
    /* The catalog outage in progress (it cannot be opened or written): no
     * dataset is classified or queued before catalog_retry_at (monotonic
     * seconds; the delay doubles up to WATCHD_CATALOG_RETRY_MAX); the
     * drop folders' state is kept meanwhile. */
    bool catalog_down;
    double catalog_down_since, catalog_retry_at, catalog_delay;
    watchd_notifier notifier;
    int sigfd;
    bool stopping;
    uint64_t queued;
    unsigned pool_workers;
    omsi_server *server;         /* `serve =`: the web view, on its own threads; NULL = off */
} watchd_daemon;

/* Starts the daemon as cli says, runs it until SIGTERM (or, with --once,
 * until the queue is done) and returns the exit status. */
int watchd_daemon_run(const watchd_invocation *cli);

/* SIGHUP: builds the configuration again; keeps the running one on error. */
void watchd_daemon_reload(watchd_daemon *s);

/* Watches every drop folder with inotify (unless polling or --once). */
int watchd_daemon_start_watching(watchd_daemon *s, omsi_error *err);
/* inotify failed (out of watches): keep going by rescanning periodically. */
void watchd_daemon_fall_back_to_polling(watchd_daemon *s, const omsi_error *err);

/* True when dir is one of roots or below one. */
bool watchd_path_inside(const omsi_path_list *roots, const char *dir);

/* The event loop (watchd_loop.c): returns the exit status. */
int watchd_loop_run(watchd_daemon *s);

#endif
