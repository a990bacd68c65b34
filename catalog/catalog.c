/* PLACEHOLDER: replaced by the real SQLite catalog. */
#include "catalog.h"

#include <stdlib.h>

const char *omsi_catalog_default_path(const char *explicit_path)
{
    const char *env = getenv("OMSI_CATALOG");
    if (explicit_path)
        return explicit_path;
    return env && *env ? env : "/var/lib/omsi-catalog/catalog.sqlite";
}

int omsi_catalog_open(const char *path, omsi_catalog_mode mode, omsi_catalog **out,
                      omsi_error *err)
{
    (void)mode;
    *out = NULL;
    return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: catalog not implemented", path);
}

void omsi_catalog_close(omsi_catalog *cat) { (void)cat; }

const char *omsi_job_state_name(omsi_job_state s)
{
    static const char *names[] = {"pending", "running", "done", "failed", "quarantined"};
    return (unsigned)s < 5 ? names[s] : "unknown";
}

void omsi_job_free(omsi_job *job) { (void)job; }

#define NOT_YET(...) return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "catalog not implemented")

int omsi_catalog_job_enqueue(omsi_catalog *cat, const char *source_path, const char *format,
                             int64_t *job_id, omsi_error *err)
{
    (void)cat, (void)source_path, (void)format, (void)job_id;
    NOT_YET();
}
int omsi_catalog_job_claim(omsi_catalog *cat, double now, omsi_job *job, omsi_error *err)
{
    (void)cat, (void)now, (void)job;
    NOT_YET();
}
int omsi_catalog_job_requeue_running(omsi_catalog *cat, int *count, omsi_error *err)
{
    (void)cat, (void)count;
    NOT_YET();
}
int omsi_catalog_job_done(omsi_catalog *cat, int64_t job_id, omsi_error *err)
{
    (void)cat, (void)job_id;
    NOT_YET();
}
int omsi_catalog_job_fail(omsi_catalog *cat, int64_t job_id, const char *error, double now,
                          int max_attempts, double backoff_seconds, omsi_error *err)
{
    (void)cat, (void)job_id, (void)error, (void)now, (void)max_attempts, (void)backoff_seconds;
    NOT_YET();
}
int omsi_catalog_job_abandon(omsi_catalog *cat, int64_t job_id, omsi_error *err)
{
    (void)cat, (void)job_id;
    NOT_YET();
}
void omsi_ingest_report_free(omsi_ingest_report *report) { (void)report; }
int omsi_ingest_path(omsi_catalog *cat, const char *path, const omsi_ingest_options *opts,
                     omsi_ingest_report *report, omsi_error *err)
{
    (void)cat, (void)path, (void)opts, (void)report;
    NOT_YET();
}
