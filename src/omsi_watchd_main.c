/* omsi-watchd: the drop-folder daemon. The parent process watches and
 * settles datasets and queues jobs in the catalog; worker processes (one
 * HDF5 writer each) claim and ingest them. */
#include "catalog.h"
#include "watchd_config.h"
#include "watchd_scan.h"
#include "watchd_worker.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

enum { MAX_WORKERS = 64 };

typedef struct daemon_state {
    watchd_config config;
    omsi_logger log;
    omsi_catalog *cat;
    watchd_tracker tracker;
    int sigfd, inotify_fd;
    bool inotify_full;          /* ENOSPC seen: fall back to polling */
    pid_t workers[MAX_WORKERS];
    bool stopping;
    int64_t *run_jobs;          /* jobs queued by this run (--once exit status) */
    size_t n_run_jobs, cap_run_jobs;
} daemon_state;

static void add_watch(void *ctx, const char *dir)
{
    daemon_state *d = ctx;
    if (d->inotify_fd < 0 || d->inotify_full)
        return;
    uint32_t mask = IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                    IN_MODIFY | IN_ATTRIB | IN_DONT_FOLLOW | IN_ONLYDIR;
    if (inotify_add_watch(d->inotify_fd, dir, mask) >= 0)
        return;
    if (errno == ENOSPC) {
        d->inotify_full = true;
        omsi_log(&d->log, OMSI_LOG_ERR,
                 "%s: out of inotify watches; raise them with `sysctl fs.inotify.max_user_watches=524288` "
                 "(and in /etc/sysctl.d/) or use --poll; polling every 10 s meanwhile", dir);
    } else {
        omsi_log(&d->log, OMSI_LOG_WARNING, "%s: cannot watch: %s", dir, strerror(errno));
    }
}

static void full_scan(daemon_state *d)
{
    watchd_scan(&d->tracker, &d->config.watch, omsi_monotonic_seconds(), add_watch, d, &d->log);
}

static void remember_job(daemon_state *d, int64_t id)
{
    if (d->n_run_jobs == d->cap_run_jobs) {
        size_t cap = d->cap_run_jobs ? 2 * d->cap_run_jobs : 64;
        int64_t *p = realloc(d->run_jobs, cap * sizeof *p);
        if (!p)
            return;
        d->run_jobs = p;
        d->cap_run_jobs = cap;
    }
    d->run_jobs[d->n_run_jobs++] = id;
}

/* Queues every settled dataset; returns how many are still waiting. */
static size_t enqueue_ready(daemon_state *d)
{
    double now = omsi_monotonic_seconds();
    size_t waiting = 0;
    for (size_t i = 0; i < d->tracker.count; i++) {
        watchd_dataset *ds = &d->tracker.items[i];
        if (ds->enqueued)
            continue;
        if (!watchd_dataset_ready(ds, now, d->config.settle)) {
            if (ds->validity == OMSI_INCOMPLETE && now - ds->changed_at >= d->config.settle && !ds->warned) {
                omsi_error why = {0};
                ds->format->is_valid_dataset(ds->path, &why);
                omsi_log(&d->log, OMSI_LOG_WARNING, "%s: incomplete, waiting: %s", ds->path, why.message);
                ds->warned = true;
            }
            waiting++;
            continue;
        }
        int64_t id;
        omsi_error err = {0};
        if (omsi_catalog_job_enqueue(d->cat, ds->path, ds->format->name, &id, &err)) {
            omsi_log(&d->log, OMSI_LOG_ERR, "%s", err.message);
            waiting++;
            continue;
        }
        ds->enqueued = true;
        remember_job(d, id);
        omsi_log(&d->log, OMSI_LOG_INFO, "%s: settled, job %lld queued", ds->path, (long long)id);
    }
    return waiting;
}

static pid_t start_worker(daemon_state *d, int index)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* The child owns no parent resources but its own catalog connection. */
        close(d->sigfd);
        if (d->inotify_fd >= 0)
            close(d->inotify_fd);
        _exit(watchd_worker_main(&d->config, index, &d->log));
    }
    if (pid < 0)
        omsi_log(&d->log, OMSI_LOG_ERR, "cannot start worker %d: %s", index, strerror(errno));
    return pid;
}

static void start_workers(daemon_state *d)
{
    for (int i = 0; i < d->config.workers && i < MAX_WORKERS; i++)
        if (d->workers[i] <= 0)
            d->workers[i] = start_worker(d, i);
}

static int live_workers(const daemon_state *d)
{
    int n = 0;
    for (int i = 0; i < MAX_WORKERS; i++)
        n += d->workers[i] > 0;
    return n;
}

/* Reaps exited workers; in daemon mode replaces one that died unexpectedly. */
static void reap(daemon_state *d)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < MAX_WORKERS; i++) {
            if (d->workers[i] != pid)
                continue;
            d->workers[i] = 0;
            bool crashed = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
            if (crashed && !d->stopping)
                omsi_log(&d->log, OMSI_LOG_ERR, "worker %d (pid %d) exited unexpectedly (%s %d)", i, (int)pid,
                         WIFSIGNALED(status) ? "signal" : "status",
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            if (!d->stopping && !d->config.once && i < d->config.workers) {
                /* A job it held stays 'running' until the next start; requeue now. */
                int n = 0;
                omsi_error err = {0};
                if (crashed && omsi_catalog_job_requeue_running(d->cat, &n, &err) == 0 && n)
                    omsi_log(&d->log, OMSI_LOG_NOTICE, "%d running job(s) put back in the queue", n);
                d->workers[i] = start_worker(d, i);
            }
        }
    }
}

static void reload(daemon_state *d)
{
    if (!d->config.config_file) {
        omsi_log(&d->log, OMSI_LOG_NOTICE, "SIGHUP: no config file to reload");
        return;
    }
    watchd_config fresh;
    watchd_config_init(&fresh);
    fresh.once = d->config.once;
    fresh.verbosity = d->config.verbosity;
    omsi_error err = {0};
    if (watchd_config_load(&fresh, d->config.config_file, &err) || watchd_config_validate(&fresh, &err) ||
        watchd_config_canonicalize(&fresh, &err)) {
        omsi_log(&d->log, OMSI_LOG_ERR, "SIGHUP: keeping the old settings: %s", err.message);
        watchd_config_free(&fresh);
        return;
    }
    /* Workers read the config when forked: restart them with the new one. */
    for (int i = 0; i < MAX_WORKERS; i++)
        if (d->workers[i] > 0)
            kill(d->workers[i], SIGTERM);
    watchd_config_free(&d->config);
    d->config = fresh;
    omsi_log(&d->log, OMSI_LOG_NOTICE, "reloaded %s: %zu drop folder(s)", d->config.config_file,
             d->config.watch.count);
    full_scan(d);
}

/* Handles pending signals; returns false when the daemon must stop. */
static void read_signals(daemon_state *d)
{
    struct signalfd_siginfo si;
    while (read(d->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            d->stopping = true;
        } else if (si.ssi_signo == SIGHUP) {
            reload(d);
        } else if (si.ssi_signo == SIGCHLD) {
            reap(d);
        }
    }
}

/* Drains inotify events; true if anything happened. */
static bool read_events(daemon_state *d, bool *overflow)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    ssize_t n;
    while ((n = read(d->inotify_fd, buf, sizeof buf)) > 0) {
        any = true;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            if (e->mask & IN_Q_OVERFLOW)
                *overflow = true;
            p += sizeof *e + e->len;
        }
    }
    return any;
}

static void notify_status(daemon_state *d)
{
    size_t waiting = 0;
    for (size_t i = 0; i < d->tracker.count; i++)
        waiting += !d->tracker.items[i].enqueued;
    sd_notifyf(0, "STATUS=watching %zu folder(s); %zu dataset(s) settling; %zu job(s) queued by this run",
               d->config.watch.count, waiting, d->n_run_jobs);
}

/* Temporary files of conversions killed hard (kill -9, power loss) in an
 * earlier run: hidden ".<name>.h5.partial-XXXXXX" files in the output folder. */
static void remove_stale_partials(daemon_state *d)
{
    DIR *dir = opendir(d->config.output_dir);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] != '.' || !strstr(e->d_name, ".h5.partial-"))
            continue;
        char *path = omsi_path_join(d->config.output_dir, e->d_name);
        if (path && unlink(path) == 0)
            omsi_log(&d->log, OMSI_LOG_NOTICE, "removed %s left by an interrupted conversion", path);
        free(path);
    }
    closedir(dir);
}

static int run_daemon(daemon_state *d)
{
    uint64_t watchdog_usec = 0;
    bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
    full_scan(d);
    start_workers(d);
    sd_notify(0, "READY=1");
    omsi_log(&d->log, OMSI_LOG_NOTICE, "watching %zu drop folder(s) (%s), %d worker(s), settle %g s",
             d->config.watch.count, d->config.poll > 0 ? "polling" : "inotify", d->config.workers,
             d->config.settle);
    double last_scan = omsi_monotonic_seconds(), last_ping = 0;
    bool rescan = false;
    while (!d->stopping) {
        double now = omsi_monotonic_seconds();
        double poll_every = d->config.poll > 0 ? d->config.poll : d->inotify_full ? 10 : 0;
        if (rescan || (poll_every > 0 && now - last_scan >= poll_every)) {
            full_scan(d);
            last_scan = now;
            rescan = false;
        } else {
            watchd_refresh(&d->tracker, now);
        }
        enqueue_ready(d);
        if (watchdog && now - last_ping >= (double)watchdog_usec / 2e6) {
            sd_notify(0, "WATCHDOG=1");
            last_ping = now;
        }
        notify_status(d);
        struct pollfd fds[2] = {{.fd = d->sigfd, .events = POLLIN}, {.fd = d->inotify_fd, .events = POLLIN}};
        int n_fds = d->inotify_fd >= 0 ? 2 : 1;
        int timeout_ms = 1000;
        double deadline = watchd_tracker_next_deadline(&d->tracker, now, d->config.settle);
        if (deadline >= 0 && deadline * 1000 < timeout_ms)
            timeout_ms = (int)(deadline * 1000) + 10;
        if (poll(fds, (nfds_t)n_fds, timeout_ms) < 0 && errno != EINTR) {
            omsi_log(&d->log, OMSI_LOG_ERR, "poll: %s", strerror(errno));
            break;
        }
        if (fds[0].revents)
            read_signals(d);
        if (n_fds == 2 && fds[1].revents) {
            bool overflow = false;
            if (read_events(d, &overflow))
                rescan = true;
            if (overflow)
                omsi_log(&d->log, OMSI_LOG_WARNING, "inotify queue overflowed: full rescan");
        }
    }
    sd_notify(0, "STOPPING=1");
    omsi_log(&d->log, OMSI_LOG_NOTICE, "stopping: waiting for %d worker(s)", live_workers(d));
    for (int i = 0; i < MAX_WORKERS; i++)
        if (d->workers[i] > 0)
            kill(d->workers[i], SIGTERM);
    while (live_workers(d) > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0)
            break;
        for (int i = 0; i < MAX_WORKERS; i++)
            if (d->workers[i] == pid)
                d->workers[i] = 0;
    }
    return 0;
}

/* --once: scan, wait until nothing is settling, convert everything, exit. */
static int run_once(daemon_state *d)
{
    full_scan(d);
    double incomplete_limit = omsi_monotonic_seconds() + d->config.settle;
    while (!d->stopping) {
        double now = omsi_monotonic_seconds();
        watchd_refresh(&d->tracker, now);
        size_t waiting = enqueue_ready(d);
        size_t incomplete = 0;
        for (size_t i = 0; i < d->tracker.count; i++)
            incomplete += !d->tracker.items[i].enqueued && d->tracker.items[i].validity == OMSI_INCOMPLETE;
        if (waiting == 0 || (waiting == incomplete && now >= incomplete_limit))
            break;
        struct pollfd p = {.fd = d->sigfd, .events = POLLIN};
        if (poll(&p, 1, 200) > 0)
            read_signals(d);
    }
    if (!d->stopping)
        start_workers(d);
    while (live_workers(d) > 0) {
        struct pollfd p = {.fd = d->sigfd, .events = POLLIN};
        if (poll(&p, 1, 500) > 0)
            read_signals(d);
        if (d->stopping)
            for (int i = 0; i < MAX_WORKERS; i++)
                if (d->workers[i] > 0)
                    kill(d->workers[i], SIGTERM);
        reap(d);
    }
    int failed = 0, done = 0;
    for (size_t i = 0; i < d->n_run_jobs; i++) {
        omsi_job_state state;
        omsi_error err = {0};
        if (omsi_catalog_job_state(d->cat, d->run_jobs[i], &state, &err) == 0 && state == OMSI_JOB_DONE)
            done++;
        else
            failed++;
    }
    size_t incomplete = 0;
    for (size_t i = 0; i < d->tracker.count; i++)
        incomplete += !d->tracker.items[i].enqueued;
    omsi_log(&d->log, OMSI_LOG_NOTICE, "once: %d job(s) done, %d failed, %zu dataset(s) incomplete", done,
             failed, incomplete);
    return d->stopping ? 0 : (failed || incomplete) ? 1 : 0;
}

int main(int argc, char **argv)
{
    daemon_state d;
    memset(&d, 0, sizeof d);
    d.sigfd = d.inotify_fd = -1;
    watchd_config_init(&d.config);
    watchd_tracker_init(&d.tracker);
    int exit_code = 0;
    if (watchd_config_from_args(&d.config, argc, argv, &exit_code)) {
        watchd_config_free(&d.config);
        return exit_code;
    }
    d.log = omsi_logger_make("omsi-watchd", d.config.verbosity);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    omsi_error err = {0};
    int rc = 1;
    if (d.sigfd < 0) {
        omsi_log(&d.log, OMSI_LOG_ERR, "signalfd: %s", strerror(errno));
        goto done;
    }
    if (omsi_catalog_open(omsi_catalog_default_path(d.config.catalog), OMSI_CATALOG_READ_WRITE, &d.cat, &err)) {
        omsi_log(&d.log, OMSI_LOG_ERR, "%s", err.message);
        goto done;
    }
    if (mkdir(d.config.output_dir, 0755) != 0 && errno != EEXIST) {
        omsi_log(&d.log, OMSI_LOG_ERR, "output folder %s: %s", d.config.output_dir, strerror(errno));
        goto done;
    }
    remove_stale_partials(&d);
    int requeued = 0;
    if (omsi_catalog_job_requeue_running(d.cat, &requeued, &err)) {
        omsi_log(&d.log, OMSI_LOG_ERR, "%s", err.message);
        goto done;
    }
    if (requeued)
        omsi_log(&d.log, OMSI_LOG_NOTICE, "%d job(s) left running by the last run put back in the queue", requeued);
    if (d.config.poll <= 0 && !d.config.once) {
        d.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (d.inotify_fd < 0)
            omsi_log(&d.log, OMSI_LOG_WARNING, "inotify: %s; polling every 10 s instead", strerror(errno));
        d.inotify_full = d.inotify_fd < 0;
    }
    rc = d.config.once ? run_once(&d) : run_daemon(&d);
done:
    if (d.inotify_fd >= 0)
        close(d.inotify_fd);
    if (d.sigfd >= 0)
        close(d.sigfd);
    omsi_catalog_close(d.cat);
    watchd_tracker_free(&d.tracker);
    watchd_config_free(&d.config);
    free(d.run_jobs);
    return rc;
}
