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
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "SELECT s.id, o.id, CASE WHEN s.superseded_by IS NULL THEN 1 ELSE 0 END, s.path, s.format, o.path, "
                              "o.sha256 FROM output_files o JOIN sources s ON s.id = o.source_id "
                              "ORDER BY s.id, o.id",
                              &st, err);
    if (rc)
        return rc;
    int step = OMSI_DB_DONE;
    while (!rc && (step = omsi_db_step(st, err)) == OMSI_DB_ROW) {
        report->checked++;
        char *detail = NULL;
        const char *output = omsi_db_column_text(st, 5);
        const char *sha = omsi_db_column_text(st, 6);
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
            .source_id = omsi_db_column_int64(st, 0), .output_id = omsi_db_column_int64(st, 1),
            .current = omsi_db_column_int64(st, 2) != 0, .path = omsi_cat_column_dup(st, 3),
            .format = omsi_cat_column_dup(st, 4), .output = omsi_cat_column_dup(st, 5), .problem = problem, .detail = detail,
        };
        if (!p->path || !p->format || !p->output || !p->detail)
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    if (!rc && step < 0)
        rc = omsi_cat_fail(cat, err, "reading the output files");
    omsi_db_finalize(st);
    if (rc)
        omsi_verify_report_free(report);
    return rc;
}

int omsi_catalog_verify_repair(omsi_catalog *cat, const omsi_output_problem *p, int64_t *job_id,
                               omsi_error *err)
{
    *job_id = 0;
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat, "UPDATE output_files SET problem = ? WHERE id = ?", &st, err);
    if (rc)
        return rc;
    rc = omsi_cat_bind(cat, st, 1, err, "ti", p->problem, p->output_id);
    if (!rc)
        rc = omsi_cat_step_done(cat, st, "marking the output file", err);
    omsi_db_finalize(st);
    if (!rc && p->current)
        rc = omsi_catalog_job_enqueue(cat, p->path, p->format, job_id, err);
    return rc;
}

/* The newest output row of a source: its id, path and whether it is marked. */
static int newest_output(omsi_catalog *cat, int64_t source_id, int64_t *id, char **path,
                         bool *marked, omsi_error *err)
{
    omsi_db_stmt *st;
    *id = 0;
    *path = NULL;
    *marked = false;
    int rc = omsi_cat_prepare(cat,
                              "SELECT id, path, CASE WHEN problem IS NOT NULL THEN 1 ELSE 0 END FROM output_files "
                              "WHERE source_id = ? ORDER BY id DESC LIMIT 1",
                              &st, err);
    if (rc)
        return rc;
    rc = omsi_cat_bind(cat, st, 1, err, "i", source_id);
    int step = rc ? OMSI_DB_DONE : omsi_db_step(st, err);
    if (!rc && step == OMSI_DB_ROW) {
        *id = omsi_db_column_int64(st, 0);
        *path = omsi_cat_column_dup(st, 1);
        *marked = omsi_db_column_int64(st, 2) != 0;
        if (!*path)
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    } else if (!rc && step < 0) {
        rc = omsi_cat_fail(cat, err, "looking up the output file");
    }
    omsi_db_finalize(st);
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
    int rc = omsi_cat_begin(cat, err);
    if (rc)
        return rc;
    bool usable = false;
    int64_t id = 0;
    char *path = NULL;
    bool marked;
    omsi_db_stmt *st = NULL;
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
                              "UPDATE output_files SET path = ?, bytes = ?, sha256 = ?, created_at = ?, "
                              "seconds = ?, problem = NULL WHERE id = ?",
                              &st, err);
    if (!rc) {
        rc = omsi_cat_bind(cat, st, 1, err, "titddi", o->path, (int64_t)o->bytes, o->sha256, omsi_cat_now(),
                           o->seconds, id);
        if (!rc)
            rc = omsi_cat_step_done(cat, st, "recording the restored output file", err);
        omsi_db_finalize(st);
        st = NULL;
    }
    if (!rc && o->job_id > 0)
        rc = omsi_cat_prepare(cat,
                              "UPDATE jobs SET state = 'done', finished_at = ?, source_id = ?, "
                              "last_error = NULL WHERE id = ?",
                              &st, err);
    if (!rc && st) {
        rc = omsi_cat_bind(cat, st, 1, err, "dii", omsi_cat_now(), source_id, o->job_id);
        if (!rc)
            rc = omsi_cat_step_done(cat, st, "marking the job done", err);
    }
done:
    omsi_db_finalize(st);
    free(path);
    if (!rc)
        rc = omsi_cat_commit(cat, err);
    if (rc)
        omsi_cat_rollback(cat);
    return rc;
}

int omsi_catalog_output_recorded(omsi_catalog *cat, const char *path, bool *recorded, omsi_error *err)
{
    *recorded = false;
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat, "SELECT id FROM output_files WHERE path = ? LIMIT 1", &st, err);
    if (!rc)
        rc = omsi_cat_bind(cat, st, 1, err, "t", path);
    if (!rc) {
        int step = omsi_db_step(st, err);
        if (step < 0)
            rc = omsi_cat_fail(cat, err, "looking up an output file");
        else
            *recorded = step == OMSI_DB_ROW;
    }
    omsi_db_finalize(st);
    return rc;
}
