/* omsi-catalog verify: recorded output files against the disk; repairs. */
#include "catalog/verify.h"
#include "catalog/catalog_internal.h"
#include "catalog/fingerprint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void omsi_verify_report_free(omsi_verify_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->problems[i].path);
        free(r->problems[i].format);
        free(r->problems[i].output);
        free(r->problems[i].detail);
    }
    free(r->problems);
    memset(r, 0, sizeof *r);
}

/* What is wrong with one output file, or NULL; *detail gets why. */
static const char *check_output(const char *output, const char *sha256, char **detail,
                                omsi_error *err)
{
    struct stat st;
    char text[320];
    *detail = NULL;
    if (stat(output, &st) != 0) {
        *detail = strdup(strerror(errno));
        return "missing";
    }
    if (!S_ISREG(st.st_mode)) {
        *detail = strdup("not a regular file");
        return "not a regular file";
    }
    char actual[65];
    omsi_error e = {0};
    if (omsi_fingerprint_file(output, actual, &e)) {
        *detail = strdup(e.message);
        return "unreadable";
    }
    if (strcmp(actual, sha256) == 0)
        return NULL;
    snprintf(text, sizeof text, "recorded SHA-256 %s, found %s", sha256, actual);
    *detail = strdup(text);
    (void)err;
    return "checksum mismatch";
}

int omsi_catalog_verify(omsi_catalog *cat, omsi_verify_report *report, omsi_error *err)
{
    memset(report, 0, sizeof *report);
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "SELECT s.id, o.id, s.superseded_by IS NULL, s.path, s.format, o.path, "
                              "o.sha256 FROM output_files o JOIN sources s ON s.id = o.source_id "
                              "ORDER BY s.id, o.id",
                              &st, err);
    if (rc)
        return rc;
    int step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        report->checked++;
        char *detail = NULL;
        const char *output = (const char *)sqlite3_column_text(st, 5);
        const char *sha = (const char *)sqlite3_column_text(st, 6);
        const char *problem = check_output(output ? output : "", sha ? sha : "", &detail, err);
        if (!problem)
            continue;
        omsi_output_problem *grown =
            realloc(report->problems, (report->count + 1) * sizeof *report->problems);
        if (!grown) {
            free(detail);
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            break;
        }
        report->problems = grown;
        omsi_output_problem *p = &report->problems[report->count++];
        *p = (omsi_output_problem){
            .source_id = sqlite3_column_int64(st, 0), .output_id = sqlite3_column_int64(st, 1),
            .current = sqlite3_column_int(st, 2) != 0, .path = omsi_cat_column_dup(st, 3),
            .format = omsi_cat_column_dup(st, 4), .output = omsi_cat_column_dup(st, 5), .problem = problem, .detail = detail,
        };
        if (!p->path || !p->format || !p->output || !p->detail)
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    if (!rc && step != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "reading the output files");
    sqlite3_finalize(st);
    if (rc)
        omsi_verify_report_free(report);
    return rc;
}

int omsi_catalog_verify_repair(omsi_catalog *cat, const omsi_output_problem *p, int64_t *job_id,
                               omsi_error *err)
{
    *job_id = 0;
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat, "UPDATE output_files SET problem = ?2 WHERE id = ?1", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, p->output_id);
    sqlite3_bind_text(st, 2, p->problem, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "marking the output file");
    sqlite3_finalize(st);
    if (!rc && p->current)
        rc = omsi_catalog_job_enqueue(cat, p->path, p->format, job_id, err);
    return rc;
}

/* The newest output row of a source: its id, path and whether it is marked. */
static int newest_output(omsi_catalog *cat, int64_t source_id, int64_t *id, char **path,
                         bool *marked, omsi_error *err)
{
    sqlite3_stmt *st;
    *id = 0;
    *path = NULL;
    *marked = false;
    int rc = omsi_cat_prepare(cat,
                              "SELECT id, path, problem IS NOT NULL FROM output_files "
                              "WHERE source_id = ?1 ORDER BY id DESC LIMIT 1",
                              &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, source_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *path = omsi_cat_column_dup(st, 1);
        *marked = sqlite3_column_int(st, 2) != 0;
        if (!*path)
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    } else if (step != SQLITE_DONE) {
        rc = omsi_cat_fail(cat, err, "looking up the output file");
    }
    sqlite3_finalize(st);
    return rc;
}

int omsi_catalog_output_usable(omsi_catalog *cat, int64_t source_id, bool *usable, omsi_error *err)
{
    int64_t id;
    char *path;
    bool marked;
    *usable = false;
    int rc = newest_output(cat, source_id, &id, &path, &marked, err);
    struct stat st;
    if (!rc && id && !marked && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        *usable = true;
    free(path);
    return rc;
}

int omsi_catalog_restore_output(omsi_catalog *cat, int64_t source_id, const omsi_restored_output *o,
                                bool *already, omsi_error *err)
{
    *already = false;
    int rc = omsi_cat_exec(cat, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    bool usable = false;
    int64_t id = 0;
    char *path = NULL;
    bool marked;
    sqlite3_stmt *st = NULL;
    /* Under the write lock: a concurrent ingest may have restored it first
     * (to another name: the recorded name is ours when we published under
     * it, the file there having been missing). */
    rc = omsi_catalog_output_usable(cat, source_id, &usable, err);
    if (!rc)
        rc = newest_output(cat, source_id, &id, &path, &marked, err);
    if (!rc && usable && strcmp(path, o->path) != 0) {
        *already = true;
        goto done;
    }
    if (!rc && !id)
        rc = omsi_error_set(err, OMSI_ERR_USAGE, "source %lld has no output file recorded",
                            (long long)source_id);
    if (!rc)
        rc = omsi_cat_prepare(cat,
                              "UPDATE output_files SET path = ?2, bytes = ?3, sha256 = ?4, created_at = ?5, "
                              "seconds = ?6, problem = NULL WHERE id = ?1",
                              &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, o->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)o->bytes);
        sqlite3_bind_text(st, 4, o->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, omsi_cat_now());
        sqlite3_bind_double(st, 6, o->seconds);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = omsi_cat_fail(cat, err, "recording the restored output file");
        sqlite3_finalize(st);
        st = NULL;
    }
    if (!rc && o->job_id > 0)
        rc = omsi_cat_prepare(cat,
                              "UPDATE jobs SET state = 'done', finished_at = ?2, source_id = ?3, "
                              "last_error = NULL WHERE id = ?1",
                              &st, err);
    if (!rc && st) {
        sqlite3_bind_int64(st, 1, o->job_id);
        sqlite3_bind_double(st, 2, omsi_cat_now());
        sqlite3_bind_int64(st, 3, source_id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = omsi_cat_fail(cat, err, "marking the job done");
    }
done:
    sqlite3_finalize(st);
    free(path);
    if (!rc)
        rc = omsi_cat_exec(cat, "COMMIT", err);
    if (rc)
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
