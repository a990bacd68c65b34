/* Renewing a job's lease while it is converted (see watchd_lease.h). */
#include "watchd/watchd_lease.h"

#include "catalog/catalog.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static void deadline_after(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    double whole = (double)(time_t)seconds;
    ts->tv_sec += (time_t)seconds;
    ts->tv_nsec += (long)((seconds - whole) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits up to seconds; true when asked to stop. */
static bool wait_or_stop(watchd_lease *l, double seconds)
{
    struct timespec until;
    deadline_after(&until, seconds);
    pthread_mutex_lock(&l->mutex);
    while (!l->stop && pthread_cond_timedwait(&l->wake, &l->mutex, &until) != ETIMEDOUT)
        ;
    bool stop = l->stop;
    pthread_mutex_unlock(&l->mutex);
    return stop;
}

static void *renew_loop(void *arg)
{
    watchd_lease *l = arg;
    omsi_catalog *cat = NULL;
    bool failing = false;
    double every = l->seconds / 3;
    while (!wait_or_stop(l, every)) {
        omsi_error err = {0};
        int renewed = -1;
        if (cat || omsi_catalog_open(l->catalog_path, OMSI_CATALOG_READ_WRITE, &cat, &err) == 0)
            renewed = omsi_catalog_job_renew(cat, l->job_id, omsi_cat_wall_clock(), l->seconds, &err);
        if (renewed == 1) {
            if (failing)
                omsi_log(l->log, OMSI_LOG_NOTICE, "job %lld: lease renewed again", (long long)l->job_id);
            failing = false;
            continue;
        }
        if (renewed == 0) {
            omsi_log(l->log, OMSI_LOG_WARNING,
                     "job %lld: its lease expired and another host took it over; stopping this conversion",
                     (long long)l->job_id);
            l->lost = 1;
            *l->cancel = 1;
            break;
        }
        /* The catalog is unreachable: keep trying with a fresh connection
         * (one line per outage); past the lease another host may take the
         * job, and then this worker's result is not recorded. */
        if (!failing)
            omsi_log(l->log, OMSI_LOG_WARNING, "job %lld: cannot renew its lease: %s", (long long)l->job_id,
                     err.message);
        failing = true;
        omsi_catalog_close(cat);
        cat = NULL;
    }
    omsi_catalog_close(cat);
    return NULL;
}

int watchd_lease_start(watchd_lease *l, const char *catalog_path, int64_t job_id, double seconds,
                       volatile sig_atomic_t *cancel, const omsi_logger *log, omsi_error *err)
{
    memset(l, 0, sizeof *l);
    l->catalog_path = catalog_path;
    l->job_id = job_id;
    l->seconds = seconds;
    l->cancel = cancel;
    l->log = log;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&l->mutex, NULL);
    pthread_cond_init(&l->wake, &attr);
    pthread_condattr_destroy(&attr);
    int rc = pthread_create(&l->thread, NULL, renew_loop, l);
    if (rc != 0) {
        pthread_cond_destroy(&l->wake);
        pthread_mutex_destroy(&l->mutex);
        return omsi_error_errno(err, OMSI_ERR_IO, rc, "job %lld: cannot start the lease thread", (long long)job_id);
    }
    l->started = true;
    return 0;
}

void watchd_lease_stop(watchd_lease *l)
{
    if (!l->started)
        return;
    pthread_mutex_lock(&l->mutex);
    l->stop = true;
    pthread_cond_signal(&l->wake);
    pthread_mutex_unlock(&l->mutex);
    pthread_join(l->thread, NULL);
    pthread_cond_destroy(&l->wake);
    pthread_mutex_destroy(&l->mutex);
    l->started = false;
}
