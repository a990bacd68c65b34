/* The job queue in the catalog (catalog.h, jobs). */
#include "catalog/catalog_internal.h"

#include "base/omsi_proc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OMSI_STR_(x) #x
#define OMSI_STR(x) OMSI_STR_(x)

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

static void bind_seen(sqlite3_stmt *st, int first, const omsi_job_seen *seen)
{
    if (!seen)
        return;
    sqlite3_bind_int64(st, first, (sqlite3_int64)seen->files);
    sqlite3_bind_int64(st, first + 1, (sqlite3_int64)seen->bytes);
    sqlite3_bind_int64(st, first + 2, seen->mtime_ns);
}

static bool same_seen(sqlite3_stmt *st, int first, const omsi_job_seen *seen)
{
    return seen && sqlite3_column_type(st, first) != SQLITE_NULL &&
           (uint64_t)sqlite3_column_int64(st, first) == seen->files &&
           (uint64_t)sqlite3_column_int64(st, first + 1) == seen->bytes &&
           sqlite3_column_int64(st, first + 2) == seen->mtime_ns;
}

static int enqueue(omsi_catalog *cat, const char *source_path, const char *format,
                   const omsi_job_seen *seen, int64_t *job_id, bool *unchanged, bool *inserted,
                   omsi_error *err)
{
    *inserted = false;
    sqlite3_stmt *find = NULL, *add = NULL, *upd = NULL;
    bool same = false;
    int rc = omsi_cat_exec(cat, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    /* An unfinished job of the path, else its newest job decides: finished
     * (done or quarantined) with what the daemon sees now -> nothing to do;
     * quarantined but changed since -> it leaves quarantine. */
    rc = omsi_cat_prepare(cat,
                          "SELECT id, state, seen_files, seen_bytes, seen_mtime_ns FROM jobs "
                          "WHERE source_path = ?1 "
                          "ORDER BY state IN ('pending', 'running', 'failed') DESC, id DESC LIMIT 1",
                          &find, err);
    if (rc)
        goto done;
    sqlite3_bind_text(find, 1, source_path, -1, SQLITE_STATIC);
    int step = sqlite3_step(find);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = omsi_cat_fail(cat, err, "finding jobs");
        goto done;
    }
    if (step == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(find, 0);
        const char *state = (const char *)sqlite3_column_text(find, 1);
        state = state ? state : "";
        bool unfinished = strcmp(state, "pending") == 0 || strcmp(state, "running") == 0 ||
                          strcmp(state, "failed") == 0;
        same = same_seen(find, 2, seen);
        if (unfinished || same) {
            *job_id = id;
            if (unfinished && seen && strcmp(state, "running") != 0) {
                /* A waiting job converts what is there when it runs. */
                rc = omsi_cat_prepare(cat,
                                      "UPDATE jobs SET seen_files = ?2, seen_bytes = ?3, "
                                      "seen_mtime_ns = ?4 WHERE id = ?1",
                                      &upd, err);
                if (rc)
                    goto done;
                sqlite3_bind_int64(upd, 1, id);
                bind_seen(upd, 2, seen);
                if (sqlite3_step(upd) != SQLITE_DONE)
                    rc = omsi_cat_fail(cat, err, "updating a job");
            }
            same = same && !unfinished;
            goto done;
        }
        if (strcmp(state, "quarantined") == 0 && seen) {
            /* Out of quarantine: the record stays in the history, saying why. */
            rc = omsi_cat_prepare(cat,
                                  "UPDATE jobs SET state = 'done', last_error = "
                                  "'superseded: the dataset changed (quarantined: ' || "
                                  "COALESCE(last_error, 'no reason recorded') || ')' WHERE id = ?1",
                                  &upd, err);
            if (rc)
                goto done;
            sqlite3_bind_int64(upd, 1, id);
            if (sqlite3_step(upd) != SQLITE_DONE) {
                rc = omsi_cat_fail(cat, err, "releasing a quarantined job");
                goto done;
            }
        }
    }
    rc = omsi_cat_prepare(cat,
                          "INSERT INTO jobs (source_path, format, state, created_at, "
                          "seen_files, seen_bytes, seen_mtime_ns) "
                          "VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6)",
                          &add, err);
    if (rc)
        goto done;
    sqlite3_bind_text(add, 1, source_path, -1, SQLITE_STATIC);
    if (format)
        sqlite3_bind_text(add, 2, format, -1, SQLITE_STATIC);
    sqlite3_bind_double(add, 3, omsi_cat_now());
    bind_seen(add, 4, seen);
    if (sqlite3_step(add) != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "adding a job");
    else
        *job_id = sqlite3_last_insert_rowid(cat->db), *inserted = true;
done:
    sqlite3_finalize(find);
    sqlite3_finalize(add);
    sqlite3_finalize(upd);
    if (rc == 0)
        rc = omsi_cat_exec(cat, "COMMIT", err);
    if (rc)
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    if (unchanged)
        *unchanged = rc == 0 && same;
    return rc;
}

int omsi_catalog_job_enqueue_seen(omsi_catalog *cat, const char *source_path, const char *format,
                                  const omsi_job_seen *seen, int64_t *job_id, bool *unchanged,
                                  omsi_error *err)
{
    bool inserted;
    return enqueue(cat, source_path, format, seen, job_id, unchanged, &inserted, err);
}

int omsi_catalog_job_enqueue(omsi_catalog *cat, const char *source_path, const char *format,
                             int64_t *job_id, omsi_error *err)
{
    return omsi_catalog_job_enqueue_seen(cat, source_path, format, NULL, job_id, NULL, err);
}

int omsi_catalog_job_quarantine_now(omsi_catalog *cat, const char *source_path,
                                    const char *format, const omsi_job_seen *seen,
                                    const char *reason, int64_t *job_id, omsi_error *err)
{
    bool unchanged = false, inserted = false;
    int rc = enqueue(cat, source_path, format, seen, job_id, &unchanged, &inserted, err);
    if (rc || !inserted)
        return rc; /* unchanged, or a job is already on its way */
    return update_job(cat,
                      "UPDATE jobs SET state = 'quarantined', last_error = ?2, finished_at = ?3 "
                      "WHERE id = ?1 AND state = 'pending'",
                      *job_id, reason, omsi_cat_now(), NULL, err);
}

int omsi_catalog_job_start(omsi_catalog *cat, const char *source_path, const char *format,
                           int64_t *job_id, omsi_error *err)
{
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "INSERT INTO jobs (source_path, format, state, attempts, created_at, "
                              "started_at, owner_pid, owner_start, owner_manual) "
                              "VALUES (?1, ?2, 'running', 1, ?3, ?3, ?4, ?5, 1)",
                              &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, source_path, -1, SQLITE_STATIC);
    if (format)
        sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, omsi_cat_now());
    /* Who runs it: a daemon starting meanwhile leaves it (and its partial
     * file) alone while this process lives (requeue_running). */
    uint64_t start = 0;
    sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
    if (omsi_proc_start_time(getpid(), &start))
        sqlite3_bind_int64(st, 5, (sqlite3_int64)start);
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
                          "started_at = ?2, owner_pid = ?3, owner_start = ?4 WHERE id = ?1",
                          &mark, err);
    if (rc)
        goto done;
    sqlite3_bind_int64(mark, 1, job->id);
    sqlite3_bind_double(mark, 2, now);
    /* Who runs it: a restarted daemon must not take it while this lives. */
    uint64_t start = 0;
    sqlite3_bind_int64(mark, 3, (sqlite3_int64)getpid());
    if (omsi_proc_start_time(getpid(), &start))
        sqlite3_bind_int64(mark, 4, (sqlite3_int64)start);
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

int omsi_catalog_job_requeue_running(omsi_catalog *cat, int *count, omsi_error *err)
{
    if (count)
        *count = 0;
    sqlite3_stmt *st = NULL;
    int rc = omsi_cat_exec(cat, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    rc = omsi_cat_prepare(cat,
                          "SELECT id, owner_pid, COALESCE(owner_start, 0) FROM jobs WHERE state = 'running'",
                          &st, err);
    int step = SQLITE_DONE, changes = 0;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        /* Kept while its recorded owner lives (a manual ingest); a job
         * without an owner, or whose owner is gone, was interrupted. The
         * caller's own jobs count as interrupted: it is the one restarting. */
        pid_t owner = (pid_t)sqlite3_column_int64(st, 1);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL && owner != getpid() &&
            omsi_proc_alive(owner, (uint64_t)sqlite3_column_int64(st, 2)))
            continue;
        int one = 0;
        rc = update_job(cat, "UPDATE jobs SET state = 'pending' WHERE id = ?1 AND state = 'running'",
                        sqlite3_column_int64(st, 0), NULL, 0, &one, err);
        changes += one;
    }
    if (!rc && step != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "listing running jobs");
    sqlite3_finalize(st);
    if (rc == 0)
        rc = omsi_cat_exec(cat, "COMMIT", err);
    if (rc) {
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (count)
        *count = changes;
    return 0;
}

int omsi_catalog_job_done(omsi_catalog *cat, int64_t job_id, omsi_error *err)
{
    int rc = omsi_cat_exec(cat, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    rc = update_job(cat,
                    "UPDATE jobs SET state = 'done', last_error = ?2, finished_at = ?3 WHERE id = ?1",
                    job_id, NULL, omsi_cat_now(), NULL, err);
    /* A bounded history: the newest OMSI_JOB_HISTORY finished jobs per path. */
    if (rc == 0)
        rc = update_job(cat,
                        "DELETE FROM jobs WHERE source_path = (SELECT source_path FROM jobs WHERE id = ?1) "
                        "AND state IN ('done', 'quarantined') AND id NOT IN ("
                        "SELECT id FROM jobs WHERE source_path = (SELECT source_path FROM jobs WHERE id = ?1) "
                        "AND state IN ('done', 'quarantined') ORDER BY id DESC LIMIT "
                        OMSI_STR(OMSI_JOB_HISTORY) ")",
                        job_id, NULL, 0, NULL, err);
    if (rc == 0)
        rc = omsi_cat_exec(cat, "COMMIT", err);
    if (rc)
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int omsi_catalog_job_running_owners(omsi_catalog *cat, omsi_job_owner **owners, size_t *count,
                                    omsi_error *err)
{
    *owners = NULL;
    *count = 0;
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "SELECT id, owner_pid, COALESCE(owner_start, 0) FROM jobs "
                              "WHERE state = 'running' AND owner_pid IS NOT NULL AND NOT owner_manual",
                              &st, err);
    if (rc)
        return rc;
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? 2 * cap : 8;
            omsi_job_owner *more = realloc(*owners, cap * sizeof *more);
            if (!more) {
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
                break;
            }
            *owners = more;
        }
        (*owners)[(*count)++] = (omsi_job_owner){.job_id = sqlite3_column_int64(st, 0),
                                                 .pid = (pid_t)sqlite3_column_int64(st, 1),
                                                 .start = (uint64_t)sqlite3_column_int64(st, 2)};
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = omsi_cat_fail(cat, err, "listing running jobs");
    sqlite3_finalize(st);
    if (rc) {
        free(*owners);
        *owners = NULL;
        *count = 0;
    }
    return rc;
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

int omsi_catalog_path_known(omsi_catalog *cat, const char *path, bool *known, omsi_error *err)
{
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "SELECT EXISTS (SELECT 1 FROM jobs WHERE source_path = ?1) "
                              "OR EXISTS (SELECT 1 FROM sources WHERE path = ?1)",
                              &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        *known = sqlite3_column_int(st, 0) != 0;
    else
        rc = omsi_cat_fail(cat, err, "looking up a source path");
    sqlite3_finalize(st);
    return rc;
}
