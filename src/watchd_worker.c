#include "watchd_worker.h"
#include "catalog.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

typedef struct worker {
    const watchd_config *config;
    const omsi_logger *log;
    int sigfd;
    volatile sig_atomic_t stop;   /* also the converter's cancel flag */
} worker;

/* Reads pending signals without blocking; a stop request sets w->stop. */
static void check_signals(worker *w)
{
    struct signalfd_siginfo si;
    while (read(w->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
            w->stop = 1;
}

/* The converter calls this between spectra: the moment to notice SIGTERM. */
static void on_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    (void)stage, (void)done, (void)total;
    check_signals(ctx);
}

static int run_job(worker *w, omsi_catalog *cat, const omsi_job *job)
{
    omsi_ingest_options opts = {.output_dir = w->config->output_dir,
                                .convert = omsi_convert_options_default(),
                                .job_id = job->id};
    opts.convert.compression_level = w->config->compression;
    opts.convert.log = w->log;
    opts.convert.reader.log = w->log;
    opts.convert.progress = on_progress;
    opts.convert.progress_ctx = w;
    opts.convert.cancel = &w->stop;
    if (job->format)
        opts.convert.format = job->format;
    omsi_ingest_report report;
    omsi_error err = {0};
    omsi_log(w->log, OMSI_LOG_INFO, "job %lld: ingesting %s (attempt %d)", (long long)job->id,
             job->source_path, job->attempts);
    int rc = omsi_ingest_path(cat, job->source_path, &opts, &report, &err);
    omsi_error db = {0};
    if (rc == 0) {
        if (report.outcome == OMSI_INGEST_UNCHANGED && omsi_catalog_job_done(cat, job->id, &db))
            omsi_log(w->log, OMSI_LOG_ERR, "%s", db.message);
        omsi_log(w->log, OMSI_LOG_NOTICE, "job %lld: %s %s%s%s", (long long)job->id,
                 report.outcome == OMSI_INGEST_UNCHANGED ? "unchanged" : "ingested", job->source_path,
                 report.output_path ? " -> " : "", report.output_path ? report.output_path : "");
        omsi_ingest_report_free(&report);
        return 0;
    }
    if (err.status == OMSI_ERR_CANCELLED || w->stop) {
        omsi_log(w->log, OMSI_LOG_NOTICE, "job %lld: abandoned on shutdown, will be retried", (long long)job->id);
        if (omsi_catalog_job_abandon(cat, job->id, &db))
            omsi_log(w->log, OMSI_LOG_ERR, "%s", db.message);
        return 0;
    }
    omsi_log(w->log, OMSI_LOG_ERR, "job %lld: %s", (long long)job->id, err.message);
    if (omsi_catalog_job_fail(cat, job->id, err.message, omsi_cat_wall_clock(), w->config->max_attempts,
                              w->config->backoff, &db))
        omsi_log(w->log, OMSI_LOG_ERR, "%s", db.message);
    return 1;
}

int watchd_worker_main(const watchd_config *c, int index, const omsi_logger *log)
{
    worker w = {.config = c, .log = log, .sigfd = -1};
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    w.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    omsi_catalog *cat = NULL;
    omsi_error err = {0};
    if (w.sigfd < 0 || omsi_catalog_open(omsi_catalog_default_path(c->catalog), OMSI_CATALOG_READ_WRITE,
                                         &cat, &err)) {
        omsi_log(log, OMSI_LOG_ERR, "worker %d: %s", index, w.sigfd < 0 ? strerror(errno) : err.message);
        return 1;
    }
    int status = 0;
    while (!w.stop) {
        omsi_job job;
        int got = omsi_catalog_job_claim(cat, omsi_cat_wall_clock(), &job, &err);
        if (got < 0) {
            omsi_log(log, OMSI_LOG_ERR, "worker %d: %s", index, err.message);
            status = 1;
            break;
        }
        if (got == 0) {
            if (c->once)
                break;
            struct pollfd p = {.fd = w.sigfd, .events = POLLIN};
            poll(&p, 1, 250);
            check_signals(&w);
            continue;
        }
        run_job(&w, cat, &job);
        omsi_job_free(&job);
        check_signals(&w);
    }
    omsi_catalog_close(cat);
    close(w.sigfd);
    return status;
}
