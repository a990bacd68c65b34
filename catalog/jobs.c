/* The job queue in the catalog (catalog.h, jobs). */
#include "catalog/catalog_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"pending", "running", "done", "failed", "quarantined"};

const char *omsi_job_state_name(omsi_job_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "unknown";
}

void omsi_job_free(omsi_job *job)
{
    if (!job)
        return;
    free(job->source_path);
    free(job->format);
    free(job->last_error);
    memset(job, 0, sizeof *job);
}

static char *dup_column(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

int omsi_catalog_job_enqueue(omsi_catalog *cat, const char *source_path, const char *format,
                             int64_t *job_id, omsi_error *err)
{
    sqlite3_stmt *find = NULL, *add = NULL;
    int rc = omsi_cat_exec(cat, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    rc = omsi_cat_prepare(cat,
                          "SELECT id FROM jobs WHERE source_path = ?1 "
                          "AND state IN ('pending', 'running', 'failed') ORDER BY id LIMIT 1",
                          &find, err);
    if (rc)
        goto done;
    sqlite3_bind_text(find, 1, source_path, -1, SQLITE_STATIC);
    int step = sqlite3_step(find);
    if (step == SQLITE_ROW) {
        *job_id = sqlite3_column_int64(find, 0);
        goto done;
    }
    if (step != SQLITE_DONE) {
        rc = omsi_cat_fail(cat, err, "finding jobs");
        goto done;
    }
    rc = omsi_cat_prepare(cat,
                          "INSERT INTO jobs (source_path, format, state, created_at) "
                          "VALUES (?1, ?2, 'pending', ?3)",
                          &add, err);
    if (rc)
        goto done;
    sqlite3_bind_text(add, 1, source_path, -1, SQLITE_STATIC);
    if (format)
        sqlite3_bind_text(add, 2, format, -1, SQLITE_STATIC);
    sqlite3_bind_double(add, 3, omsi_cat_now());
    if (sqlite3_step(add) != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "adding a job");
    else
        *job_id = sqlite3_last_insert_rowid(cat->db);
done:
    sqlite3_finalize(find);
    sqlite3_finalize(add);
    if (rc == 0)
        rc = omsi_cat_exec(cat, "COMMIT", err);
    if (rc)
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int omsi_catalog_job_start(omsi_catalog *cat, const char *source_path, const char *format,
                           int64_t *job_id, omsi_error *err)
{
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "INSERT INTO jobs (source_path, format, state, attempts, created_at, started_at) "
                              "VALUES (?1, ?2, 'running', 1, ?3, ?3)",
                              &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, source_path, -1, SQLITE_STATIC);
    if (format)
        sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, omsi_cat_now());
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "adding a job");
    else
        *job_id = sqlite3_last_insert_rowid(cat->db);
    sqlite3_finalize(st);
    return rc;
}

int omsi_catalog_job_claim(omsi_catalog *cat, double now, omsi_job *job, omsi_error *err)
{
    memset(job, 0, sizeof *job);
    sqlite3_stmt *pick = NULL, *mark = NULL;
    int rc = omsi_cat_exec(cat, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    int found = 0;
    rc = omsi_cat_prepare(cat,
                          "SELECT id, source_path, format, attempts, last_error FROM jobs "
                          "WHERE state = 'pending' OR (state = 'failed' AND next_attempt_at <= ?1) "
                          "ORDER BY next_attempt_at, id LIMIT 1",
                          &pick, err);
    if (rc)
        goto done;
    sqlite3_bind_double(pick, 1, now);
    int step = sqlite3_step(pick);
    if (step == SQLITE_DONE)
        goto done;
    if (step != SQLITE_ROW) {
        rc = omsi_cat_fail(cat, err, "claiming a job");
        goto done;
    }
    job->id = sqlite3_column_int64(pick, 0);
    job->source_path = dup_column(pick, 1);
    job->format = dup_column(pick, 2);
    job->attempts = sqlite3_column_int(pick, 3) + 1;
    job->last_error = dup_column(pick, 4);
    job->state = OMSI_JOB_RUNNING;
    if (!job->source_path) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = omsi_cat_prepare(cat,
                          "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                          "started_at = ?2 WHERE id = ?1",
                          &mark, err);
    if (rc)
        goto done;
    sqlite3_bind_int64(mark, 1, job->id);
    sqlite3_bind_double(mark, 2, now);
    if (sqlite3_step(mark) != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "marking a job running");
    else
        found = 1;
done:
    sqlite3_finalize(pick);
    sqlite3_finalize(mark);
    if (rc == 0)
        rc = omsi_cat_exec(cat, "COMMIT", err);
    if (rc) {
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
        omsi_job_free(job);
        return rc;
    }
    if (!found)
        omsi_job_free(job);
    return found;
}

/* Runs one UPDATE on a job with up to two extra bound values. */
static int update_job(omsi_catalog *cat, const char *sql, int64_t id, const char *text,
                      double number, int *changes, omsi_error *err)
{
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat, sql, &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 3)
        sqlite3_bind_double(st, 3, number);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "updating a job");
    else if (changes)
        *changes = sqlite3_changes(cat->db);
    sqlite3_finalize(st);
    return rc;
}

int omsi_catalog_job_requeue_running(omsi_catalog *cat, int *count, omsi_error *err)
{
    int changes = 0;
    int rc = update_job(cat, "UPDATE jobs SET state = 'pending' WHERE state = 'running' AND ?1 = ?1",
                        0, NULL, 0, &changes, err);
    if (count)
        *count = changes;
    return rc;
}

int omsi_catalog_job_done(omsi_catalog *cat, int64_t job_id, omsi_error *err)
{
    return update_job(cat,
                      "UPDATE jobs SET state = 'done', last_error = ?2, finished_at = ?3 WHERE id = ?1",
                      job_id, NULL, omsi_cat_now(), NULL, err);
}

int omsi_catalog_job_fail(omsi_catalog *cat, int64_t job_id, const char *error, double now,
                          int max_attempts, double backoff_seconds, omsi_error *err)
{
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat, "SELECT attempts FROM jobs WHERE id = ?1", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, job_id);
    int attempts = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (attempts < 1)
        attempts = 1;
    bool quarantine = attempts >= max_attempts;
    double delay = backoff_seconds * ldexp(1.0, attempts - 1 > 30 ? 30 : attempts - 1);
    rc = omsi_cat_prepare(cat,
                          "UPDATE jobs SET state = ?2, last_error = ?3, next_attempt_at = ?4, "
                          "finished_at = ?5 WHERE id = ?1",
                          &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, job_id);
    sqlite3_bind_text(st, 2, quarantine ? "quarantined" : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, error ? error : "unknown error", -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, quarantine ? 0 : now + delay);
    sqlite3_bind_double(st, 5, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "recording a job failure");
    sqlite3_finalize(st);
    return rc;
}

int omsi_catalog_job_abandon(omsi_catalog *cat, int64_t job_id, omsi_error *err)
{
    return update_job(cat,
                      "UPDATE jobs SET state = 'pending', attempts = MAX(attempts - 1, 0) "
                      "WHERE id = ?1 AND state = 'running'",
                      job_id, NULL, 0, NULL, err);
}

int omsi_catalog_job_defer(omsi_catalog *cat, int64_t job_id, const char *reason, double when,
                           omsi_error *err)
{
    return update_job(cat,
                      "UPDATE jobs SET state = 'failed', attempts = MAX(attempts - 1, 0), "
                      "last_error = ?2, next_attempt_at = ?3 WHERE id = ?1 AND state = 'running'",
                      job_id, reason ? reason : "incomplete", when, NULL, err);
}

int omsi_catalog_job_state(omsi_catalog *cat, int64_t job_id, omsi_job_state *state,
                           omsi_error *err)
{
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat, "SELECT state FROM jobs WHERE id = ?1", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, job_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        *state = OMSI_JOB_FAILED;
        for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
            if (name && strcmp(name, state_names[i]) == 0)
                *state = (omsi_job_state)i;
    } else {
        rc = omsi_error_set(err, OMSI_ERR_USAGE, "no job %lld", (long long)job_id);
    }
    sqlite3_finalize(st);
    return rc;
}
