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
    free(job->stale_host);
    memset(job, 0, sizeof *job);
}

/* A job this process may still change: its own (pid and host), or one
 * without a recorded owner or host. A worker whose lease expired and was
 * taken over by another host must not change the new owner's job. */
#define OWNED_BY_ME "(owner_pid IS NULL OR host IS NULL OR (owner_pid = ? AND host = ?))"

/* Runs one UPDATE or DELETE on a job. Its parameters, in order, are what
 * binds says: 'i' the job id, 't' text, 'd' number, 'p' this pid, 'h' this
 * host (e.g. "tdiph"). */
static int update_job(omsi_catalog *cat, const char *sql, const char *binds, int64_t id,
                      const char *text, double number, int *changes, omsi_error *err)
{
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat, sql, &st, err);
    if (rc)
        return rc;
    char host[OMSI_HOST_MAX];
    omsi_proc_host(host);
    for (int i = 0; binds[i] && !rc; i++)
        rc = binds[i] == 'i'   ? omsi_cat_bind(cat, st, i + 1, err, "i", id)
             : binds[i] == 't' ? omsi_cat_bind(cat, st, i + 1, err, "t", text)
             : binds[i] == 'p' ? omsi_cat_bind(cat, st, i + 1, err, "i", (int64_t)getpid())
             : binds[i] == 'h' ? omsi_cat_bind(cat, st, i + 1, err, "t", host)
                               : omsi_cat_bind(cat, st, i + 1, err, "d", number);
    if (!rc)
        rc = omsi_cat_step_done(cat, st, "updating a job", err);
    if (!rc && changes)
        *changes = (int)omsi_db_changes(cat->db);
    omsi_db_finalize(st);
    return rc;
}

static int bind_seen(omsi_catalog *cat, omsi_db_stmt *st, int first, const omsi_job_seen *seen,
                     omsi_error *err)
{
    if (!seen)
        return omsi_cat_bind(cat, st, first, err, "nnn");
    return omsi_cat_bind(cat, st, first, err, "iii", (int64_t)seen->files, (int64_t)seen->bytes,
                         seen->mtime_ns);
}

static bool same_seen(omsi_db_stmt *st, int first, const omsi_job_seen *seen)
{
    return seen && !omsi_db_column_is_null(st, first) &&
           (uint64_t)omsi_db_column_int64(st, first) == seen->files &&
           (uint64_t)omsi_db_column_int64(st, first + 1) == seen->bytes &&
           omsi_db_column_int64(st, first + 2) == seen->mtime_ns;
}

/* Inserts a job row from sql ending in "RETURNING id"; *id gets it. */
static int insert_returning(omsi_catalog *cat, omsi_db_stmt *st, const char *what, int64_t *id,
                            omsi_error *err)
{
    int step = omsi_db_step(st, err);
    if (step < 0)
        return omsi_cat_fail(cat, err, what);
    if (step != OMSI_DB_ROW)
        return omsi_error_set(err, OMSI_ERR_DB, "%s: %s: no id returned", cat->name, what);
    *id = omsi_db_column_int64(st, 0);
    return 0;
}

static int enqueue(omsi_catalog *cat, const char *source_path, const char *format,
                   const omsi_job_seen *seen, int64_t *job_id, bool *unchanged, bool *inserted,
                   omsi_error *err)
{
    *inserted = false;
    omsi_db_stmt *find = NULL, *add = NULL, *upd = NULL;
    bool same = false;
    int rc = omsi_cat_begin(cat, err);
    if (rc)
        return rc;
    /* An unfinished job of the path, else its newest job decides: finished
     * (done or quarantined) with what the daemon sees now -> nothing to do;
     * quarantined but changed since -> it leaves quarantine. */
    rc = omsi_cat_prepare(cat,
                          "SELECT id, state, seen_files, seen_bytes, seen_mtime_ns FROM jobs "
                          "WHERE source_path = ? "
                          "ORDER BY state IN ('pending', 'running', 'failed') DESC, id DESC LIMIT 1",
                          &find, err);
    if (!rc)
        rc = omsi_cat_bind(cat, find, 1, err, "t", source_path);
    if (rc)
        goto done;
    int step = omsi_db_step(find, err);
    if (step < 0) {
        rc = omsi_cat_fail(cat, err, "finding jobs");
        goto done;
    }
    if (step == OMSI_DB_ROW) {
        int64_t id = omsi_db_column_int64(find, 0);
        const char *state = omsi_db_column_text(find, 1);
        state = state ? state : "";
        bool unfinished = strcmp(state, "pending") == 0 || strcmp(state, "running") == 0 ||
                          strcmp(state, "failed") == 0;
        same = same_seen(find, 2, seen);
        bool quarantined = strcmp(state, "quarantined") == 0;
        if (unfinished || same) {
            *job_id = id;
            if (unfinished && seen && strcmp(state, "running") != 0) {
                /* A waiting job converts what is there when it runs. */
                rc = omsi_cat_prepare(cat,
                                      "UPDATE jobs SET seen_files = ?, seen_bytes = ?, "
                                      "seen_mtime_ns = ? WHERE id = ?",
                                      &upd, err);
                if (!rc)
                    rc = bind_seen(cat, upd, 1, seen, err);
                if (!rc)
                    rc = omsi_cat_bind(cat, upd, 4, err, "i", id);
                if (!rc)
                    rc = omsi_cat_step_done(cat, upd, "updating a job", err);
            }
            same = same && !unfinished;
            goto done;
        }
        if (quarantined && seen) {
            /* Out of quarantine: the record stays in the history, saying why. */
            rc = update_job(cat,
                            "UPDATE jobs SET state = 'done', last_error = "
                            "'superseded: the dataset changed (quarantined: ' || "
                            "COALESCE(last_error, 'no reason recorded') || ')' WHERE id = ?",
                            "i", id, NULL, 0, NULL, err);
            if (rc) {
                omsi_error_prefix(err, "releasing a quarantined job");
                goto done;
            }
        }
    }
    rc = omsi_cat_prepare(cat,
                          "INSERT INTO jobs (source_path, format, state, created_at, "
                          "seen_files, seen_bytes, seen_mtime_ns) "
                          "VALUES (?, ?, 'pending', ?, ?, ?, ?) RETURNING id",
                          &add, err);
    if (!rc)
        rc = omsi_cat_bind(cat, add, 1, err, "ttd", source_path, format, omsi_cat_now());
    if (!rc)
        rc = bind_seen(cat, add, 4, seen, err);
    if (!rc)
        rc = insert_returning(cat, add, "adding a job", job_id, err);
    if (!rc)
        *inserted = true;
done:
    omsi_db_finalize(find);
    omsi_db_finalize(add);
    omsi_db_finalize(upd);
    if (rc == 0)
        rc = omsi_cat_commit(cat, err);
    if (rc)
        omsi_cat_rollback(cat);
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
                      "UPDATE jobs SET state = 'quarantined', last_error = ?, finished_at = ? "
                      "WHERE id = ? AND state = 'pending'",
                      "tdi", *job_id, reason, omsi_cat_now(), NULL, err);
}

/* This process as a job owner: pid and start time (0 when unknown). */
static int64_t own_start(void)
{
    uint64_t start = 0;
    return omsi_proc_start_time(getpid(), &start) ? (int64_t)start : 0;
}

int omsi_catalog_job_start(omsi_catalog *cat, const char *source_path, const char *format,
                           int64_t *job_id, omsi_error *err)
{
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "INSERT INTO jobs (source_path, format, state, attempts, created_at, "
                              "started_at, owner_pid, owner_start, owner_manual, host) "
                              "VALUES (?, ?, 'running', 1, ?, ?, ?, ?, 1, ?) RETURNING id",
                              &st, err);
    if (rc)
        return rc;
    /* Who runs it: a daemon starting meanwhile leaves it (and its partial
     * file) alone while this process lives (requeue_running). */
    double now = omsi_cat_now();
    int64_t start = own_start();
    rc = omsi_cat_bind(cat, st, 1, err, "ttddi", source_path, format, now, now, (int64_t)getpid());
    if (!rc)
        rc = start ? omsi_cat_bind(cat, st, 6, err, "i", start) : omsi_cat_bind(cat, st, 6, err, "n");
    char host[OMSI_HOST_MAX];
    if (!rc)
        rc = omsi_cat_bind(cat, st, 7, err, "t", omsi_proc_host(host));
    if (!rc)
        rc = insert_returning(cat, st, "adding a job", job_id, err);
    omsi_db_finalize(st);
    return rc;
}

int omsi_catalog_job_claim_lease(omsi_catalog *cat, double now, double lease_seconds, omsi_job *job,
                                 omsi_error *err)
{
    memset(job, 0, sizeof *job);
    omsi_db_stmt *pick = NULL, *mark = NULL;
    int rc = omsi_cat_begin(cat, err);
    if (rc)
        return rc;
    int found = 0;
    /* A running job is claimable once its lease expired: its host died (or
     * lost the catalog longer than the lease). PostgreSQL: other hosts'
     * claims skip the row this one locked instead of waiting for it. */
    rc = omsi_cat_prepare(cat,
                          omsi_cat_dialect(cat) == OMSI_DB_POSTGRESQL
                              ? "SELECT id, source_path, format, attempts, last_error, state, host, owner_pid "
                                "FROM jobs WHERE state = 'pending' OR (state = 'failed' AND next_attempt_at <= ?) "
                                "OR (state = 'running' AND lease_expires_at < ?) "
                                "ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
                              : "SELECT id, source_path, format, attempts, last_error, state, host, owner_pid "
                                "FROM jobs WHERE state = 'pending' OR (state = 'failed' AND next_attempt_at <= ?) "
                                "OR (state = 'running' AND lease_expires_at < ?) "
                                "ORDER BY next_attempt_at, id LIMIT 1",
                          &pick, err);
    if (!rc)
        rc = omsi_cat_bind(cat, pick, 1, err, "dd", now, now);
    if (rc)
        goto done;
    int step = omsi_db_step(pick, err);
    if (step == OMSI_DB_DONE)
        goto done;
    if (step < 0) {
        rc = omsi_cat_fail(cat, err, "claiming a job");
        goto done;
    }
    job->id = omsi_db_column_int64(pick, 0);
    job->source_path = omsi_cat_column_dup_null(pick, 1);
    job->format = omsi_cat_column_dup_null(pick, 2);
    job->attempts = (int)omsi_db_column_int64(pick, 3) + 1;
    job->last_error = omsi_cat_column_dup_null(pick, 4);
    job->state = OMSI_JOB_RUNNING;
    const char *state = omsi_db_column_text(pick, 5);
    bool taken_over = state && strcmp(state, "running") == 0;
    if (taken_over) {
        job->stale_host = omsi_cat_column_dup(pick, 6);
        job->stale_pid = (pid_t)omsi_db_column_int64(pick, 7);
    }
    if (!job->source_path || (taken_over && !job->stale_host)) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = omsi_cat_prepare(cat,
                          "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                          "started_at = ?, owner_pid = ?, owner_start = ?, host = ?, lease_expires_at = ? "
                          "WHERE id = ?",
                          &mark, err);
    /* Who runs it: a restarted daemon must not take it while this lives,
     * another host not before the lease expires. */
    int64_t start = own_start();
    char host[OMSI_HOST_MAX];
    omsi_proc_host(host);
    if (!rc)
        rc = omsi_cat_bind(cat, mark, 1, err, "di", now, (int64_t)getpid());
    if (!rc)
        rc = start ? omsi_cat_bind(cat, mark, 3, err, "i", start) : omsi_cat_bind(cat, mark, 3, err, "n");
    if (!rc)
        rc = omsi_cat_bind(cat, mark, 4, err, "t", host);
    if (!rc)
        rc = lease_seconds > 0 ? omsi_cat_bind(cat, mark, 5, err, "d", now + lease_seconds)
                               : omsi_cat_bind(cat, mark, 5, err, "n");
    if (!rc)
        rc = omsi_cat_bind(cat, mark, 6, err, "i", job->id);
    if (!rc)
        rc = omsi_cat_step_done(cat, mark, "marking a job running", err);
    if (!rc)
        found = 1;
done:
    omsi_db_finalize(pick);
    omsi_db_finalize(mark);
    if (rc == 0)
        rc = omsi_cat_commit(cat, err);
    if (rc) {
        omsi_cat_rollback(cat);
        omsi_job_free(job);
        return rc;
    }
    if (!found)
        omsi_job_free(job);
    return found;
}

int omsi_catalog_job_claim(omsi_catalog *cat, double now, omsi_job *job, omsi_error *err)
{
    return omsi_catalog_job_claim_lease(cat, now, 0, job, err);
}

int omsi_catalog_job_renew(omsi_catalog *cat, int64_t job_id, double now, double lease_seconds,
                           omsi_error *err)
{
    int changes = 0;
    int rc = update_job(cat,
                        "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND state = 'running' "
                        "AND owner_pid = ? AND host = ?",
                        "diph", job_id, NULL, now + lease_seconds, &changes, err);
    return rc ? rc : changes > 0;
}

int omsi_catalog_job_requeue_running(omsi_catalog *cat, int *count, omsi_error *err)
{
    if (count)
        *count = 0;
    omsi_db_stmt *st = NULL;
    int rc = omsi_cat_begin(cat, err);
    if (rc)
        return rc;
    /* Other hosts' jobs are theirs: pids mean nothing here. */
    rc = omsi_cat_prepare(cat,
                          "SELECT id, owner_pid, COALESCE(owner_start, 0) FROM jobs WHERE state = 'running' "
                          "AND (host IS NULL OR host = ?)",
                          &st, err);
    char host[OMSI_HOST_MAX];
    if (!rc)
        rc = omsi_cat_bind(cat, st, 1, err, "t", omsi_proc_host(host));
    int step = OMSI_DB_DONE, changes = 0;
    /* The ids first: the updates must not run while the select is open. */
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while (!rc && (step = omsi_db_step(st, err)) == OMSI_DB_ROW) {
        /* Kept while its recorded owner lives (a manual ingest); a job
         * without an owner, or whose owner is gone, was interrupted. The
         * caller's own jobs count as interrupted: it is the one restarting. */
        pid_t owner = (pid_t)omsi_db_column_int64(st, 1);
        if (!omsi_db_column_is_null(st, 1) && owner != getpid() &&
            omsi_proc_alive(owner, (uint64_t)omsi_db_column_int64(st, 2)))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            int64_t *more = realloc(ids, cap * sizeof *more);
            if (!more) {
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
                break;
            }
            ids = more;
        }
        ids[n++] = omsi_db_column_int64(st, 0);
    }
    if (!rc && step < 0)
        rc = omsi_cat_fail(cat, err, "listing running jobs");
    omsi_db_finalize(st);
    for (size_t i = 0; i < n && !rc; i++) {
        int one = 0;
        rc = update_job(cat, "UPDATE jobs SET state = 'pending' WHERE id = ? AND state = 'running'", "i",
                        ids[i], NULL, 0, &one, err);
        changes += one;
    }
    free(ids);
    if (rc == 0)
        rc = omsi_cat_commit(cat, err);
    if (rc) {
        omsi_cat_rollback(cat);
        return rc;
    }
    if (count)
        *count = changes;
    return 0;
}

int omsi_catalog_job_done(omsi_catalog *cat, int64_t job_id, omsi_error *err)
{
    int rc = omsi_cat_begin(cat, err);
    if (rc)
        return rc;
    rc = update_job(cat,
                    "UPDATE jobs SET state = 'done', last_error = NULL, finished_at = ?, lease_expires_at = NULL "
                    "WHERE id = ? AND " OWNED_BY_ME,
                    "diph", job_id, NULL, omsi_cat_now(), NULL, err);
    /* A bounded history: the newest OMSI_JOB_HISTORY finished jobs per path. */
    if (rc == 0)
        rc = update_job(cat,
                        "DELETE FROM jobs WHERE source_path = (SELECT source_path FROM jobs WHERE id = ?) "
                        "AND state IN ('done', 'quarantined') AND id NOT IN ("
                        "SELECT id FROM jobs WHERE source_path = (SELECT source_path FROM jobs WHERE id = ?) "
                        "AND state IN ('done', 'quarantined') ORDER BY id DESC LIMIT "
                        OMSI_STR(OMSI_JOB_HISTORY) ")",
                        "ii", job_id, NULL, 0, NULL, err);
    if (rc == 0)
        rc = omsi_cat_commit(cat, err);
    if (rc)
        omsi_cat_rollback(cat);
    return rc;
}

int omsi_catalog_job_running_owners(omsi_catalog *cat, omsi_job_owner **owners, size_t *count,
                                    omsi_error *err)
{
    *owners = NULL;
    *count = 0;
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "SELECT id, owner_pid, COALESCE(owner_start, 0) FROM jobs "
                              "WHERE state = 'running' AND owner_pid IS NOT NULL AND owner_manual = 0 "
                              "AND (host IS NULL OR host = ?)",
                              &st, err);
    if (rc)
        return rc;
    char host[OMSI_HOST_MAX];
    if ((rc = omsi_cat_bind(cat, st, 1, err, "t", omsi_proc_host(host)))) {
        omsi_db_finalize(st);
        return rc;
    }
    size_t cap = 0;
    int step;
    while ((step = omsi_db_step(st, err)) == OMSI_DB_ROW) {
        if (*count == cap) {
            cap = cap ? 2 * cap : 8;
            omsi_job_owner *more = realloc(*owners, cap * sizeof *more);
            if (!more) {
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
                break;
            }
            *owners = more;
        }
        (*owners)[(*count)++] = (omsi_job_owner){.job_id = omsi_db_column_int64(st, 0),
                                                 .pid = (pid_t)omsi_db_column_int64(st, 1),
                                                 .start = (uint64_t)omsi_db_column_int64(st, 2)};
    }
    if (rc == 0 && step < 0)
        rc = omsi_cat_fail(cat, err, "listing running jobs");
    omsi_db_finalize(st);
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
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat, "SELECT attempts FROM jobs WHERE id = ?", &st, err);
    if (!rc)
        rc = omsi_cat_bind(cat, st, 1, err, "i", job_id);
    int attempts = 0;
    if (!rc) {
        int step = omsi_db_step(st, err);
        if (step < 0)
            rc = omsi_cat_fail(cat, err, "reading a job");
        else if (step == OMSI_DB_ROW)
            attempts = (int)omsi_db_column_int64(st, 0);
    }
    omsi_db_finalize(st);
    if (rc)
        return rc;
    if (attempts < 1)
        attempts = 1;
    bool quarantine = attempts >= max_attempts;
    double delay = backoff_seconds * ldexp(1.0, attempts - 1 > 30 ? 30 : attempts - 1);
    rc = omsi_cat_prepare(cat,
                          "UPDATE jobs SET state = ?, last_error = ?, next_attempt_at = ?, "
                          "finished_at = ?, lease_expires_at = NULL WHERE id = ? AND " OWNED_BY_ME,
                          &st, err);
    if (rc)
        return rc;
    char host[OMSI_HOST_MAX];
    rc = omsi_cat_bind(cat, st, 1, err, "ttddiit", quarantine ? "quarantined" : "failed",
                       error ? error : "unknown error", quarantine ? 0 : now + delay, now, job_id,
                       (int64_t)getpid(), omsi_proc_host(host));
    if (!rc)
        rc = omsi_cat_step_done(cat, st, "recording a job failure", err);
    omsi_db_finalize(st);
    return rc;
}

int omsi_catalog_job_abandon(omsi_catalog *cat, int64_t job_id, omsi_error *err)
{
    return update_job(cat,
                      "UPDATE jobs SET state = 'pending', "
                      "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END "
                      "WHERE id = ? AND state = 'running' AND " OWNED_BY_ME,
                      "iph", job_id, NULL, 0, NULL, err);
}

int omsi_catalog_job_defer(omsi_catalog *cat, int64_t job_id, const char *reason, double when,
                           omsi_error *err)
{
    return update_job(cat,
                      "UPDATE jobs SET state = 'failed', "
                      "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
                      "last_error = ?, next_attempt_at = ? WHERE id = ? AND state = 'running' AND " OWNED_BY_ME,
                      "tdiph", job_id, reason ? reason : "incomplete", when, NULL, err);
}

int omsi_catalog_job_state(omsi_catalog *cat, int64_t job_id, omsi_job_state *state,
                           omsi_error *err)
{
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat, "SELECT state FROM jobs WHERE id = ?", &st, err);
    if (!rc)
        rc = omsi_cat_bind(cat, st, 1, err, "i", job_id);
    int step = rc ? -1 : omsi_db_step(st, err);
    if (!rc && step == OMSI_DB_ROW) {
        const char *name = omsi_db_column_text(st, 0);
        *state = OMSI_JOB_FAILED;
        for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
            if (name && strcmp(name, state_names[i]) == 0)
                *state = (omsi_job_state)i;
    } else if (!rc && step == OMSI_DB_DONE) {
        rc = omsi_error_set(err, OMSI_ERR_USAGE, "no job %lld", (long long)job_id);
    } else if (!rc) {
        rc = omsi_cat_fail(cat, err, "reading a job");
    }
    omsi_db_finalize(st);
    return rc;
}

int omsi_catalog_path_known(omsi_catalog *cat, const char *path, bool *known, omsi_error *err)
{
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat,
                              "SELECT CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE source_path = ?) "
                              "OR EXISTS (SELECT 1 FROM sources WHERE path = ?) THEN 1 ELSE 0 END",
                              &st, err);
    if (!rc)
        rc = omsi_cat_bind(cat, st, 1, err, "tt", path, path);
    if (!rc) {
        int step = omsi_db_step(st, err);
        if (step == OMSI_DB_ROW)
            *known = omsi_db_column_int64(st, 0) != 0;
        else
            rc = step < 0 ? omsi_cat_fail(cat, err, "looking up a source path")
                          : omsi_error_set(err, OMSI_ERR_DB, "%s: looking up a source path: no row", cat->name);
    }
    omsi_db_finalize(st);
    return rc;
}
