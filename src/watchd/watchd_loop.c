/* omsi-watchd's event loop: signals, inotify events, scans, the settle
 * decision, queueing and the worker pool, until stop (watchd_daemon.h). */
#include "watchd/watchd_daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static double real_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The folder whose scan sees a change in dir: inside a Bruker spot tree,
 * the folder holding the run. */
static int mark_dirty(watchd_daemon *s, const char *dir)
{
    char *parent = watchd_group_bruker_parent(dir);
    int rc = watchd_dirty_add(&s->dirty, parent ? parent : dir);
    /* The run folder itself (holding spot folders) is seen by its parent. */
    if (rc == 0 && !parent && watchd_is_bruker_run(dir)) {
        char *up = omsi_path_dirname(dir);
        if (up)
            rc = watchd_dirty_add(&s->dirty, up);
        free(up);
    }
    free(parent);
    return rc;
}

static bool inside_roots(const watchd_daemon *s, const char *dir)
{
    return watchd_path_inside(&s->roots, dir);
}

static int full_scan(watchd_daemon *s, double now, omsi_error *err)
{
    for (size_t i = 0; i < s->roots.count; i++) {
        int rc = watchd_scan_dir(&s->table, s->roots.paths[i], true, now, &s->log, err);
        if (rc)
            return rc;
    }
    /* Candidates of folders that are gone or no longer watched. */
    size_t kept = 0;
    for (size_t i = 0; i < s->table.count; i++) {
        watchd_candidate *c = &s->table.items[i];
        if (!inside_roots(s, c->dir) || !omsi_is_directory(c->dir)) {
            free(c->key);
            free(c->dir);
            free(c->path);
            continue;
        }
        s->table.items[kept++] = *c;
    }
    s->table.count = kept;
    s->last_full_scan = now;
    return 0;
}

/* Datasets already quiet for the settle time when first seen (old files at
 * start-up) need not wait again: changed_at goes back to their mtime. */
static void backdate_new(watchd_daemon *s, double now, double real_now)
{
    for (size_t i = 0; i < s->table.count; i++) {
        watchd_candidate *c = &s->table.items[i];
        if (c->state != WATCHD_WAITING || c->changed_at != now || c->sig.files == 0)
            continue;
        double age = real_now - (double)c->sig.mtime_ns / 1e9;
        if (age > 0)
            c->changed_at = now - age;
    }
}

static int scan_dirty(watchd_daemon *s, double now, omsi_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->dirty.count; i++)
        if (inside_roots(s, s->dirty.paths[i]))
            rc = watchd_scan_dir(&s->table, s->dirty.paths[i], false, now, &s->log, err);
    omsi_path_list_free(&s->dirty);
    omsi_path_list_init(&s->dirty);
    return rc;
}

/* Spot trees settle longer (settle_bruker, docs/watchd.md). */
static double settle_for(const watchd_daemon *s, const watchd_candidate *c)
{
    return c->kind == WATCHD_KIND_BRUKER ? watchd_config_settle_bruker(&s->cfg) : s->cfg.settle_seconds;
}

/* The catalog path of a Bruker tree stays the one it was first cataloged
 * under: a tree taken as its folder before its spot list arrived stays the
 * folder (a new version of the same source, never a second source). Returns
 * the folder (to free) or NULL to keep c->path. */
static char *stable_bruker_path(omsi_catalog *cat, const watchd_candidate *c)
{
    static const char *const lists[] = {"_spot_list.txt", " Spot List.txt"};
    if (c->kind != WATCHD_KIND_BRUKER || !c->path)
        return NULL;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        if (!omsi_has_suffix_ci(c->path, lists[i]))
            continue;
        char *folder = omsi_strip_suffix_ci(c->path, lists[i]);
        bool known = false, list_known = false;
        omsi_error err = {0};
        if (folder && omsi_catalog_path_known(cat, folder, &known, &err) == 0 && known &&
            omsi_catalog_path_known(cat, c->path, &list_known, &err) == 0 && !list_known)
            return folder;
        free(folder);
        return NULL;
    }
    return NULL;
}

static bool same_signature(watchd_signature a, watchd_signature b)
{
    return a.files == b.files && a.bytes == b.bytes && a.mtime_ns == b.mtime_ns;
}

/* The catalog failed: one log line when an outage starts, then tries
 * again after 1, 2, 4 ... WATCHD_CATALOG_RETRY_MAX seconds. */
static void catalog_failed(watchd_daemon *s, const char *path, const omsi_error *err, double now)
{
    if (!s->catalog_down) {
        omsi_log(&s->log, OMSI_LOG_ERR, "%s: %s; the catalog is unreachable: datasets wait, retrying with backoff",
                 path, err->message);
        s->catalog_down = true;
        s->catalog_down_since = now;
        s->catalog_delay = 0.5;
    }
    s->catalog_delay = s->catalog_delay * 2 > WATCHD_CATALOG_RETRY_MAX ? WATCHD_CATALOG_RETRY_MAX
                                                                       : s->catalog_delay * 2;
    s->catalog_retry_at = now + s->catalog_delay;
}

static void catalog_ok(watchd_daemon *s, double now)
{
    if (s->catalog_down)
        omsi_log(&s->log, OMSI_LOG_NOTICE, "the catalog is reachable again (after %.0f s)",
                 now - s->catalog_down_since);
    s->catalog_down = false;
}

/* Applies one classifier's verdict on c: queue it, quarantine it, or park it
 * until it changes. Opens s->cat when something must be recorded (the
 * caller closes it). */
static void apply_verdict(watchd_daemon *s, watchd_candidate *c, const watchd_verdict *vd, double now,
                          bool *queued_any)
{
    const omsi_error *why = &vd->why;
    omsi_validity v = vd->failed ? OMSI_BROKEN : vd->validity;
    bool go = !vd->failed && watchd_apply_validity(c, v);
    bool quarantine = vd->failed || (vd->stuck && v == OMSI_INCOMPLETE);
    if (!go && !quarantine) {
        if (!vd->stuck)
            omsi_log(&s->log, v == OMSI_INCOMPLETE ? OMSI_LOG_NOTICE : OMSI_LOG_INFO,
                     "%s: %s, waiting for a change: %s", c->path ? c->path : c->key,
                     v == OMSI_INCOMPLETE ? "incomplete" : "not a dataset", why->message);
        return;
    }
    omsi_job_seen seen = {.files = c->sig.files, .bytes = c->sig.bytes, .mtime_ns = c->sig.mtime_ns};
    int64_t job_id = 0;
    bool unchanged = false;
    omsi_error qerr = {0};
    char reason[sizeof why->message + 96];
    if (vd->failed)
        snprintf(reason, sizeof reason, "%s", why->message);
    else if (!go)
        snprintf(reason, sizeof reason, "incomplete and unchanged for %g s (%g x the settle time): %s",
                 now - c->changed_at, WATCHD_STUCK_FACTOR, why->message);
    /* The parent holds the catalog open only while it records: an open
     * SQLite connection must never be inherited by a forked child. */
    if (s->catalog_down && now < s->catalog_retry_at) {
        c->state = go ? WATCHD_WAITING : WATCHD_INCOMPLETE; /* again after the outage */
        return;
    }
    if (!s->cat && omsi_catalog_open(s->catalog_path, OMSI_CATALOG_READ_WRITE, &s->cat, &qerr)) {
        s->cat = NULL;
        catalog_failed(s, c->path ? c->path : c->key, &qerr, now);
        c->state = go ? WATCHD_WAITING : WATCHD_INCOMPLETE; /* again next round */
        return;
    }
    char *folder = stable_bruker_path(s->cat, c);
    /* path may point into folder: folder is freed only at the end. */
    const char *path = folder ? folder : c->path ? c->path : c->key;
    if (go ? omsi_catalog_job_enqueue_seen(s->cat, path, watchd_kind_format(c->kind), &seen,
                                           &job_id, &unchanged, &qerr)
           : omsi_catalog_job_quarantine_now(s->cat, path, watchd_kind_format(c->kind), &seen,
                                             reason, &job_id, &qerr)) {
        catalog_failed(s, path, &qerr, now);
        /* A fresh connection next time (PostgreSQL: this one may be dead). */
        omsi_catalog_close(s->cat);
        s->cat = NULL;
        c->state = go ? WATCHD_WAITING : WATCHD_INCOMPLETE; /* again next round */
        goto done;
    }
    catalog_ok(s, now);
    if (folder)
        omsi_log(&s->log, OMSI_LOG_INFO, "%s: cataloged before as %s; keeping that path", c->path, folder);
    c->state = WATCHD_QUEUED;
    if (!go) {
        omsi_job_state st = OMSI_JOB_PENDING;
        if (omsi_catalog_job_state(s->cat, job_id, &st, &qerr) == 0 && st == OMSI_JOB_QUARANTINED)
            omsi_log(&s->log, OMSI_LOG_WARNING, "%s: quarantined (job %lld): %s", path,
                     (long long)job_id, reason);
        goto done;
    }
    if (unchanged) {
        omsi_log(&s->log, OMSI_LOG_DEBUG, "%s: unchanged since job %lld, not queued", path,
                 (long long)job_id);
        goto done;
    }
    s->queued++;
    *queued_any = true;
    omsi_log(&s->log, OMSI_LOG_INFO, "%s: settled (%llu files, %llu bytes), job %lld%s", path,
             (unsigned long long)c->sig.files, (unsigned long long)c->sig.bytes, (long long)job_id,
             v == OMSI_BROKEN ? " (the reader says it is broken)" : "");
done:
    free(folder);
}

/* The verdicts of the classifiers that finished (or ran out of time). A
 * verdict on a dataset that changed or vanished meanwhile is dropped: the
 * dataset settles and is classified again. */
static void take_verdicts(watchd_daemon *s, double now)
{
    watchd_verdict verdicts[WATCHD_CLASSIFY_SLOTS];
    size_t n = watchd_classify_collect(&s->classify, now, verdicts, WATCHD_CLASSIFY_SLOTS);
    bool queued_any = false;
    for (size_t i = 0; i < n; i++) {
        watchd_candidate *c = watchd_table_find(&s->table, verdicts[i].key);
        if (c && c->state == WATCHD_CLASSIFYING && same_signature(c->sig, verdicts[i].sig)) {
            if (verdicts[i].failed)
                omsi_log(&s->log, OMSI_LOG_WARNING, "%s", verdicts[i].why.message);
            apply_verdict(s, c, &verdicts[i], now, &queued_any);
        } else {
            omsi_log(&s->log, OMSI_LOG_DEBUG, "%s: changed while it was classified; again once settled",
                     verdicts[i].key);
        }
        watchd_verdict_free(&verdicts[i]);
    }
    omsi_catalog_close(s->cat);
    s->cat = NULL;
    if (queued_any)
        watchd_pool_wake(&s->pool);
}

/* Due for classification: settled, or incomplete for too long (stuck). */
static bool due_for_classification(const watchd_daemon *s, const watchd_candidate *c, double now,
                                   bool *stuck)
{
    double settle = settle_for(s, c);
    *stuck = c->state == WATCHD_INCOMPLETE && c->path && now - c->changed_at >= WATCHD_STUCK_FACTOR * settle;
    return *stuck || watchd_settled(c, now, settle);
}

/* Verdicts first; then settled candidates: look once more (a change may have
 * gone unnoticed in --poll and --once modes) and hand them to classifiers
 * (watchd_classify.h): the readers never parse a file in this process. */
static int decide(watchd_daemon *s, double now, omsi_error *err)
{
    take_verdicts(s, now);
    omsi_path_list recheck;
    omsi_path_list_init(&recheck);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->table.count; i++)
        if (watchd_settled(&s->table.items[i], now, settle_for(s, &s->table.items[i])))
            rc = watchd_dirty_add(&recheck, s->table.items[i].dir);
    for (size_t i = 0; rc == 0 && i < recheck.count; i++)
        rc = watchd_scan_dir(&s->table, recheck.paths[i], false, now, &s->log, err);
    omsi_path_list_free(&recheck);
    if (rc)
        return rc;
    /* While the catalog is out, nothing could be recorded: no verdicts. */
    bool catalog_wait = s->catalog_down && now < s->catalog_retry_at;
    for (size_t i = 0; i < s->table.count && now >= s->classify_retry_at && !catalog_wait; i++) {
        watchd_candidate *c = &s->table.items[i];
        bool stuck;
        if (!due_for_classification(s, c, now, &stuck) || watchd_classify_busy(&s->classify, c->key))
            continue;
        if (watchd_classify_full(&s->classify))
            break;
        omsi_error ferr = {0};
        pid_t pid = 0;
        if (watchd_classify_start(&s->classify, c, stuck, now, &pid, &ferr)) {
            omsi_log(&s->log, OMSI_LOG_ERR, "%s", ferr.message);
            s->classify_retry_at = now + 1.0; /* no fork storm */
            break;
        }
        omsi_log(&s->log, OMSI_LOG_DEBUG, "%s: classifying (pid %d, at most %g s)",
                 c->path ? c->path : c->key, (int)pid, s->classify.timeout);
    }
    return 0;
}

static void report_status(watchd_daemon *s)
{
    static const char *const mode[] = {"inotify", "polling"};
    watchd_notify_status(&s->notifier, omsi_monotonic_seconds(),
                         "%zu folder(s) (%s), %zu dataset(s) settling, %llu queued since start",
                         s->roots.count, mode[!s->use_inotify], watchd_table_waiting(&s->table),
                         (unsigned long long)s->queued);
}

/* Returns false when the daemon must stop. */
static bool handle_signals(watchd_daemon *s)
{
    struct signalfd_siginfo si;
    while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            omsi_log(&s->log, OMSI_LOG_NOTICE, "signal %s: stopping", strsignal((int)si.ssi_signo));
            s->stopping = true;
            break;
        case SIGHUP:
            omsi_log(&s->log, OMSI_LOG_NOTICE, "SIGHUP: reloading the configuration");
            watchd_daemon_reload(s);
            break;
        case SIGCHLD:
            break; /* reaped below */
        }
    }
    return !s->stopping;
}

static int timeout_ms(watchd_daemon *s, double now)
{
    double wait = 5.0;
    if (s->full_rescan || s->dirty.count)
        return 0;
    bool full = watchd_classify_full(&s->classify);
    for (size_t i = 0; i < s->table.count; i++) {
        const watchd_candidate *c = &s->table.items[i];
        if (c->state == WATCHD_WAITING) {
            double due = c->changed_at + settle_for(s, c) - now;
            /* Settled but no classifier free (or its old one still runs):
             * a classifier's end wakes the loop (its pipe, SIGCHLD). */
            if (due <= 0 && (full || watchd_classify_busy(&s->classify, c->key)))
                continue;
            if (due < wait)
                wait = due;
        }
    }
    double deadline = watchd_classify_next_deadline(&s->classify, now);
    if (deadline < wait)
        wait = deadline;
    if (s->classify_retry_at > now && s->classify_retry_at - now < wait)
        wait = s->classify_retry_at - now;
    if (!s->use_inotify) {
        double poll_every = s->cli.once ? 1.0 : s->cfg.poll_seconds;
        double due = s->last_full_scan + poll_every - now;
        if (due < wait)
            wait = due;
    }
    double wd = watchd_notify_next(&s->notifier, now);
    if (wd < wait)
        wait = wd;
    if (wait < 0.05)
        wait = 0.05;
    return (int)(wait * 1000);
}

int watchd_loop_run(watchd_daemon *s)
{
    omsi_error err = {0};
    double now = omsi_monotonic_seconds();
    if (watchd_daemon_start_watching(s, &err)) {
        if (err.status == OMSI_ERR_NOMEM) {
            omsi_log(&s->log, OMSI_LOG_ERR, "%s", err.message);
            return 1;
        }
        watchd_daemon_fall_back_to_polling(s, &err);
    }
    if (full_scan(s, now, &err)) {
        omsi_log(&s->log, OMSI_LOG_ERR, "%s", err.message);
        return 1;
    }
    backdate_new(s, now, real_seconds());
    omsi_log(&s->log, OMSI_LOG_NOTICE, "watching %zu drop folder(s)%s, %zu dataset(s) found, settle %g s, %u worker(s)",
             s->roots.count, s->cli.once ? " (one pass)" : s->use_inotify ? " with inotify" : " by polling", s->table.count,
             s->cfg.settle_seconds, s->cfg.workers);
    watchd_notify_ready(&s->notifier, "running");
    int status = 0;
    for (;;) {
        now = omsi_monotonic_seconds();
        struct pollfd fds[2 + WATCHD_CLASSIFY_SLOTS] = {
            {.fd = s->sigfd, .events = POLLIN},
            {.fd = s->use_inotify ? s->watcher.fd : -1, .events = POLLIN}};
        size_t nfds = 2 + watchd_classify_pollfds(&s->classify, fds + 2);
        int n = poll(fds, nfds, timeout_ms(s, now));
        if (n < 0 && errno != EINTR) {
            omsi_log(&s->log, OMSI_LOG_ERR, "poll: %s", strerror(errno));
            status = 1;
            break;
        }
        now = omsi_monotonic_seconds();
        if (!handle_signals(s))
            break;
        watchd_pool_reap(&s->pool, &s->setup, !s->cli.once, now);
        if (s->use_inotify) {
            omsi_path_list changed;
            omsi_path_list_init(&changed);
            bool overflow = false;
            if (watchd_watcher_read(&s->watcher, &changed, &overflow, &err)) {
                if (err.status == OMSI_ERR_NOMEM) {
                    omsi_log(&s->log, OMSI_LOG_ERR, "%s", err.message);
                    omsi_path_list_free(&changed);
                    status = 1;
                    break;
                }
                watchd_daemon_fall_back_to_polling(s, &err);
            }
            if (overflow) {
                omsi_log(&s->log, OMSI_LOG_WARNING, "inotify queue overflow: rescanning everything");
                s->full_rescan = true;
            }
            for (size_t i = 0; i < changed.count; i++)
                mark_dirty(s, changed.paths[i]);
            omsi_path_list_free(&changed);
        }
        int rc;
        if (s->full_rescan || (!s->use_inotify &&
                               now - s->last_full_scan >= (s->cli.once ? 1.0 : s->cfg.poll_seconds))) {
            s->full_rescan = false;
            omsi_path_list_free(&s->dirty);
            omsi_path_list_init(&s->dirty);
            rc = full_scan(s, now, &err);
        } else {
            rc = scan_dirty(s, now, &err);
        }
        if (rc == 0)
            rc = decide(s, now, &err);
        if (rc) {
            omsi_log(&s->log, OMSI_LOG_ERR, "%s", err.message);
            status = 1;
            break;
        }
        watchd_notify_watchdog(&s->notifier, now);
        report_status(s);
        if (s->cli.once && watchd_table_waiting(&s->table) == 0) {
            omsi_log(&s->log, OMSI_LOG_INFO, "--once: every dataset decided; finishing the queue");
            watchd_classify_stop(&s->classify); /* only killed ones are left, if any */
            watchd_pool_drain(&s->pool);
            watchd_pool_wait(&s->pool);
            for (size_t i = 0; i < s->table.count; i++)
                if (s->table.items[i].state == WATCHD_INCOMPLETE)
                    omsi_log(&s->log, OMSI_LOG_WARNING, "%s: left incomplete",
                             s->table.items[i].path ? s->table.items[i].path : s->table.items[i].key);
            if (s->pool.failures) {
                omsi_log(&s->log, OMSI_LOG_ERR,
                         "%u worker(s) reported failed jobs; see `omsi-catalog query --state failed`",
                         s->pool.failures);
                status = 1;
            }
            watchd_notify_flush(&s->notifier);
            return status;
        }
    }
    watchd_notify_stopping(&s->notifier);
    if (watchd_classify_running(&s->classify))
        omsi_log(&s->log, OMSI_LOG_INFO, "stopping: killing %u classifier(s)",
                 watchd_classify_running(&s->classify));
    watchd_classify_stop(&s->classify);
    omsi_log(&s->log, OMSI_LOG_NOTICE, "stopping: waiting for the workers");
    watchd_pool_stop(&s->pool);
    return status;
}

