/* The worker pool (see watchd_workers.h). */
#include "watchd/watchd_workers.h"
#include "watchd/watchd_lease.h"
#include "watchd/watchd_partials.h"

#include "catalog/catalog.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Set by SIGTERM/SIGINT in a worker. A signal handler can only reach a
 * static object. job_cancel, which the converter polls, is raised by the
 * same signals and by the lease thread when the job was taken over. */
static volatile sig_atomic_t worker_stop;
static volatile sig_atomic_t job_cancel;

static void on_stop(int sig)
{
    (void)sig;
    worker_stop = 1;
    job_cancel = 1;
}

/* Retry delays while the catalog is unreachable: 1 s doubling up to 30 s. */
#define WORKER_OUTAGE_MAX_DELAY 30.0

/* Waits for a wake byte or timeout; returns false once the pipe is closed. */
static bool wait_for_work(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
        return true;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    return !(n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR));
}

/* Runs one claimed job. Returns false when the worker must stop. */
static bool run_job(omsi_catalog *cat, const omsi_job *job, const watchd_worker_setup *s,
                    bool *failed)
{
    omsi_ingest_options opts = {.output_dir = s->output_dir,
                                .convert = omsi_convert_options_default(),
                                .job_id = job->id}; /* done in the recording transaction */
    job_cancel = worker_stop;
    opts.convert.cancel = &job_cancel;
    opts.convert.log = s->log;
    opts.convert.reader.log = s->log;
    opts.convert.reader.calibration = s->calibration;
    opts.convert.reader.strict_checksums = s->strict_checksums;
    if (job->format)
        opts.convert.format = job->format;
    omsi_ingest_report report;
    omsi_error err = {0}, db_err = {0};
    omsi_log(s->log, OMSI_LOG_INFO, "job %lld: converting %s (attempt %d)", (long long)job->id,
             job->source_path, job->attempts);
    if (job->stale_host) {
        omsi_log(s->log, OMSI_LOG_NOTICE, "job %lld: taken over from host %s (pid %ld): its lease expired",
                 (long long)job->id, job->stale_host, (long)job->stale_pid);
        watchd_remove_partials_of(s->output_dir, job->stale_host, job->stale_pid, s->log);
    }
    watchd_lease lease = {0};
    if (s->lease_seconds > 0 &&
        watchd_lease_start(&lease, s->catalog_path, job->id, s->lease_seconds, &job_cancel, s->log, &err))
        omsi_log(s->log, OMSI_LOG_WARNING, "%s", err.message); /* converts on; the lease may expire */
    int rc = omsi_ingest_path(cat, job->source_path, &opts, &report, &err);
    watchd_lease_stop(&lease);
    if (lease.lost && !worker_stop) {
        /* Another host converts it now: nothing of ours was recorded. */
        omsi_log(s->log, OMSI_LOG_NOTICE, "job %lld: %s: left to the host that took it over",
                 (long long)job->id, job->source_path);
        omsi_ingest_report_free(&report);
        return true;
    }
    if (rc == 0) {
        static const char *const outcome[] = {"new", "new version", "unchanged", "restored"};
        omsi_log(s->log, OMSI_LOG_NOTICE, "job %lld: %s: %s, %llu dataset(s)%s%s",
                 (long long)job->id, job->source_path, outcome[report.outcome],
                 (unsigned long long)report.datasets, report.output_path ? " -> " : "",
                 report.output_path ? report.output_path : "");
        if (job->stale_host && report.output_path)
            watchd_remove_unrecorded_outputs(cat, report.output_path, report.output_number, s->log);
        omsi_ingest_report_free(&report);
        if (omsi_catalog_job_done(cat, job->id, &db_err))
            omsi_log(s->log, OMSI_LOG_ERR, "job %lld: %s", (long long)job->id, db_err.message);
        return true;
    }
    omsi_ingest_report_free(&report);
    if (rc == OMSI_ERR_CANCELLED || worker_stop) {
        omsi_log(s->log, OMSI_LOG_NOTICE, "job %lld: %s: stopped, back to pending",
                 (long long)job->id, job->source_path);
        if (omsi_catalog_job_abandon(cat, job->id, &db_err))
            omsi_log(s->log, OMSI_LOG_ERR, "job %lld: %s", (long long)job->id, db_err.message);
        return false;
    }
    /* Incomplete (still being written, or changed during conversion) is a
     * reason to wait, not a failed attempt: back in the queue after the
     * backoff, the attempt not counted. */
    if (rc == OMSI_ERR_INCOMPLETE) {
        omsi_log(s->log, OMSI_LOG_NOTICE, "job %lld: %s; will retry in %.0f s", (long long)job->id,
                 err.message, s->retry_backoff);
        if (omsi_catalog_job_defer(cat, job->id, err.message, now_seconds() + s->retry_backoff, &db_err))
            omsi_log(s->log, OMSI_LOG_ERR, "job %lld: %s", (long long)job->id, db_err.message);
        return true;
    }
    *failed = true;
    bool last = (unsigned)job->attempts >= s->max_attempts;
    omsi_log(s->log, last ? OMSI_LOG_ERR : OMSI_LOG_WARNING, "job %lld: %s (attempt %d of %u%s)",
             (long long)job->id, err.message, job->attempts, s->max_attempts,
             last ? ", quarantined" : ", will retry");
    if (omsi_catalog_job_fail(cat, job->id, err.message, now_seconds(), (int)s->max_attempts,
                              s->retry_backoff, &db_err))
        omsi_log(s->log, OMSI_LOG_ERR, "job %lld: %s", (long long)job->id, db_err.message);
    return true;
}

/* Logs the start of a catalog outage (once) and the delay before the
 * next try, doubling up to WORKER_OUTAGE_MAX_DELAY. */
static double outage(const watchd_worker_setup *s, bool *down, double delay, const omsi_error *err)
{
    if (!*down)
        omsi_log(s->log, OMSI_LOG_ERR, "worker: the catalog is unreachable, retrying with backoff: %s",
                 err->message);
    *down = true;
    return delay <= 0 ? 1.0 : delay * 2 > WORKER_OUTAGE_MAX_DELAY ? WORKER_OUTAGE_MAX_DELAY : delay * 2;
}

/* The worker process: exits 0 when stopped or drained, 1 if a job failed
 * or the catalog could not be used. While the catalog is unreachable it
 * claims (and so converts) nothing: it retries with a fresh connection,
 * backing off, and logs one line when the outage starts and one when it
 * ends. */
static int worker_main(int wake_fd, const watchd_worker_setup *s)
{
    omsi_catalog *cat = NULL;
    omsi_error err = {0};
    bool failed = false, open_pipe = true, down = false;
    double delay = 0;
    while (!worker_stop) {
        if (!cat && omsi_catalog_open(s->catalog_path, OMSI_CATALOG_READ_WRITE, &cat, &err)) {
            cat = NULL;
            failed = true;
            delay = outage(s, &down, delay, &err);
            if (!open_pipe)
                break;
            wait_for_work(wake_fd, (int)(delay * 1000));
            continue;
        }
        omsi_job job;
        int claimed = omsi_catalog_job_claim_lease(cat, now_seconds(), s->lease_seconds, &job, &err);
        if (claimed < 0) {
            /* A fresh connection next time (PostgreSQL: the old one may be dead). */
            omsi_catalog_close(cat);
            cat = NULL;
            failed = true;
            delay = outage(s, &down, delay, &err);
            if (!open_pipe)
                break;
            wait_for_work(wake_fd, (int)(delay * 1000));
            continue;
        }
        if (down)
            omsi_log(s->log, OMSI_LOG_NOTICE, "worker: the catalog is reachable again");
        down = false;
        delay = 0;
        if (claimed == 0) {
            if (!open_pipe)
                break;
            open_pipe = wait_for_work(wake_fd, 500);
            continue;
        }
        bool go_on = run_job(cat, &job, s, &failed);
        omsi_job_free(&job);
        if (!go_on)
            break;
    }
    omsi_catalog_close(cat);
    return failed ? 1 : 0;
}

void watchd_close_fds_except(int keep)
{
    unsigned k = (unsigned)keep;
    if ((k <= 3 || close_range(3, k - 1, 0) == 0) && close_range(k + 1, ~0u, 0) == 0)
        return;
    for (int fd = 3; fd < 4096; fd++) /* kernels without close_range */
        if (fd != keep)
            close(fd);
}

static pid_t spawn(watchd_pool *pool, const watchd_worker_setup *setup)
{
    pid_t parent = getpid();
    watchd_fork_hold(&setup->guard);
    pid_t pid = fork();
    if (pid != 0) {
        watchd_fork_release(&setup->guard);
        return pid;
    }
    /* Child: default signal dispositions, unblocked, and SIGTERM if the
     * daemon dies (kill -9) so that no orphan keeps converting. */
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(0);
    /* Nothing of the parent's but the wake pipe: not its catalog connection,
     * not its inotify instance (whose watches would outlive a reload), not
     * the pipe's write end (its closing is the drain signal). */
    watchd_close_fds_except(pool->wake_read_fd);
    int rc = worker_main(pool->wake_read_fd, setup);
    _exit(rc);
}

int watchd_pool_start(watchd_pool *pool, unsigned workers, const watchd_worker_setup *setup,
                      omsi_error *err)
{
    memset(pool, 0, sizeof *pool);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "pipe");
    pool->wake_read_fd = fds[0];
    pool->wake_fd = fds[1];
    pool->pids = calloc(workers, sizeof *pool->pids);
    if (!pool->pids) {
        close(fds[0]);
        close(fds[1]);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    pool->count = workers;
    for (unsigned i = 0; i < workers; i++) {
        pid_t pid = spawn(pool, setup);
        if (pid < 0) {
            int e = errno;
            watchd_pool_stop(pool);
            watchd_pool_free(pool);
            return omsi_error_errno(err, OMSI_ERR_IO, e, "fork");
        }
        pool->pids[i] = pid;
    }
    return 0;
}

void watchd_pool_wake(watchd_pool *pool)
{
    if (pool->wake_fd >= 0) {
        char byte = 1;
        ssize_t n = write(pool->wake_fd, &byte, 1);
        (void)n; /* a full pipe already wakes everyone */
    }
}

unsigned watchd_pool_reap(watchd_pool *pool, const watchd_worker_setup *setup, bool respawn,
                          double now)
{
    /* Each worker by its pid: the daemon's other children (classifiers,
     * watchd_classify.h) are reaped by their own module. */
    for (unsigned i = 0; i < pool->count; i++) {
        int status;
        pid_t pid = pool->pids[i];
        if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
            pool->pids[i] = 0;
            if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                pool->failures++;
            if (WIFSIGNALED(status))
                omsi_log(setup->log, OMSI_LOG_ERR, "worker %d killed by signal %d", (int)pid,
                         WTERMSIG(status));
            else if (respawn)
                omsi_log(setup->log, OMSI_LOG_WARNING, "worker %d exited with status %d; restarting it",
                         (int)pid, WEXITSTATUS(status));
        }
    }
    /* Refill empty slots, at most once a second (no fork storm when a
     * worker cannot start, e.g. an unreadable catalog). */
    if (respawn && pool->wake_fd >= 0 && now >= pool->respawn_not_before) {
        for (unsigned i = 0; i < pool->count; i++) {
            if (pool->pids[i] != 0)
                continue;
            pid_t fresh = spawn(pool, setup);
            if (fresh > 0)
                pool->pids[i] = fresh;
            else
                omsi_log(setup->log, OMSI_LOG_ERR, "fork: %s", strerror(errno));
            pool->respawn_not_before = now + 1.0;
        }
    }
    unsigned running = 0;
    for (unsigned i = 0; i < pool->count; i++)
        running += pool->pids[i] != 0;
    return running;
}

void watchd_pool_drain(watchd_pool *pool)
{
    if (pool->wake_fd >= 0) {
        close(pool->wake_fd);
        pool->wake_fd = -1;
    }
}

void watchd_pool_wait(watchd_pool *pool)
{
    for (unsigned i = 0; i < pool->count; i++) {
        if (pool->pids[i] <= 0)
            continue;
        int status = 0;
        pid_t got;
        while ((got = waitpid(pool->pids[i], &status, 0)) < 0 && errno == EINTR)
            ;
        if (got > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            pool->failures++;
        pool->pids[i] = 0;
    }
}

void watchd_pool_stop(watchd_pool *pool)
{
    for (unsigned i = 0; i < pool->count; i++)
        if (pool->pids[i] > 0)
            kill(pool->pids[i], SIGTERM);
    watchd_pool_drain(pool);
    watchd_pool_wait(pool);
}

void watchd_pool_free(watchd_pool *pool)
{
    watchd_pool_drain(pool);
    if (pool->wake_read_fd >= 0)
        close(pool->wake_read_fd);
    free(pool->pids);
    memset(pool, 0, sizeof *pool);
    pool->wake_fd = pool->wake_read_fd = -1;
}
