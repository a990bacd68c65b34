/* Several daemons on one catalog (issue 14): job leases claimed, renewed,
 * expired and retaken by two hosts (pretended with $OMSI_HOST), the
 * ownership checks that keep a worker whose job was taken over from
 * changing or recording it, the host-aware restart requeue, and the
 * partial files a retaking host removes. On SQLite always; on PostgreSQL
 * too when there is a server (tests/test_pg.h). */
#include "base/omsi_util.h"
#include "catalog/catalog_internal.h"
#include "catalog/record.h"
#include "catalog/report.h"
#include "tests/test_pg.h"
#include "tests/test_support.h"
#include "watchd/watchd_partials.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *test_dir;
/* The PostgreSQL server, set by main() before the runner forks (NULL: none). */
static const char *pg_uri;

static void setup(void) { test_dir = omsi_test_mkdtemp("lease"); }
static void teardown(void)
{
    omsi_test_rmtree(test_dir);
    free(test_dir);
    test_dir = NULL;
    unsetenv("OMSI_HOST");
}

/* The catalog of a test: a fresh SQLite file, or an empty schema on the
 * PostgreSQL server. */
static omsi_catalog *open_catalog(bool pg)
{
    char schema[64];
    snprintf(schema, sizeof schema, "lease_%ld", (long)getpid());
    char *target = pg ? omsi_test_pg_schema_uri(pg_uri, schema) : omsi_path_join(test_dir, "cat.sqlite");
    omsi_catalog *cat = NULL;
    omsi_error err = {0};
    ck_assert_msg(omsi_catalog_open(target, OMSI_CATALOG_READ_WRITE, &cat, &err) == 0, "%s", err.message);
    free(target);
    return cat;
}

static void as_host(const char *host) { setenv("OMSI_HOST", host, 1); }

/* One text or number of a job's row. */
static void job_row(omsi_catalog *cat, int64_t id, char *host, size_t size, double *lease, int *attempts)
{
    omsi_db_stmt *st;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_db_prepare(cat->db,
                                     "SELECT COALESCE(host, ''), COALESCE(lease_expires_at, -1), attempts FROM jobs "
                                     "WHERE id = ?",
                                     &st, &err),
                     0);
    ck_assert_int_eq(omsi_db_bind_int64(st, 1, id, &err), 0);
    ck_assert_int_eq(omsi_db_step(st, &err), OMSI_DB_ROW);
    snprintf(host, size, "%s", omsi_db_column_text(st, 0));
    *lease = omsi_db_column_double(st, 1);
    *attempts = (int)omsi_db_column_int64(st, 2);
    omsi_db_finalize(st);
}

static omsi_job_state state_of(omsi_catalog *cat, int64_t id)
{
    omsi_job_state s;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_job_state(cat, id, &s, &err), 0);
    return s;
}

/* A one-dataset conversion result to record. */
static void small_result(omsi_convert_result *r)
{
    memset(r, 0, sizeof *r);
    r->output_path = strdup("/out/a.h5");
    r->experiments = calloc(1, sizeof *r->experiments);
    r->datasets = calloc(1, sizeof *r->datasets);
    ck_assert_ptr_nonnull(r->experiments);
    ck_assert_ptr_nonnull(r->datasets);
    r->n_experiments = 1;
    r->n_datasets = 1;
    snprintf(r->experiments[0].identifier, sizeof r->experiments[0].identifier, "a");
    r->experiments[0].input_path = strdup("a");
    r->experiments[0].n_datasets = 1;
    omsi_converted_dataset *d = &r->datasets[0];
    snprintf(d->hdf5_path, sizeof d->hdf5_path, "/entry_0/data_0");
    d->source_region = -1;
    d->info.nx = d->info.ny = 2;
    d->info.nz = 10;
    d->info.n_spectra = 4;
    d->info.dtype = OMSI_DT_FLOAT32;
    d->mz_min = 100;
    d->mz_max = 200;
    d->spectra_written = 4;
    omsi_meta_init(&d->metadata);
}

static void lease_cycle(bool pg)
{
    omsi_catalog *cat = open_catalog(pg);
    omsi_error err = {0};
    int64_t a, b;
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/lease/a.imzML", "imzml", &a, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/lease/b.imzML", "imzml", &b, &err), 0);

    /* Host A claims the oldest job under a 10 s lease. */
    as_host("host-a");
    omsi_job job;
    ck_assert_int_eq(omsi_catalog_job_claim_lease(cat, 1000, 10, &job, &err), 1);
    ck_assert_int_eq(job.id, a);
    ck_assert_ptr_null(job.stale_host);
    omsi_job_free(&job);
    char host[64];
    double lease;
    int attempts;
    job_row(cat, a, host, sizeof host, &lease, &attempts);
    ck_assert_str_eq(host, "host-a");
    ck_assert_double_eq_tol(lease, 1010, 1e-6);
    ck_assert_int_eq(attempts, 1);

    /* Host B gets the other job, and nothing while A's lease runs. */
    as_host("host-b");
    ck_assert_int_eq(omsi_catalog_job_claim_lease(cat, 1005, 10, &job, &err), 1);
    ck_assert_int_eq(job.id, b);
    omsi_job_free(&job);
    ck_assert_int_eq(omsi_catalog_job_claim_lease(cat, 1009, 10, &job, &err), 0);

    /* Renewals: each host its own job only. */
    ck_assert_int_eq(omsi_catalog_job_renew(cat, a, 1008, 10, &err), 0); /* B cannot renew A's */
    as_host("host-a");
    ck_assert_int_eq(omsi_catalog_job_renew(cat, a, 1008, 10, &err), 1);
    job_row(cat, a, host, sizeof host, &lease, &attempts);
    ck_assert_double_eq_tol(lease, 1018, 1e-6);
    as_host("host-b");
    ck_assert_int_eq(omsi_catalog_job_renew(cat, b, 1012, 10, &err), 1); /* b until 1022 */
    ck_assert_int_eq(omsi_catalog_job_claim_lease(cat, 1017, 10, &job, &err), 0); /* renewed: not expired */

    /* A stops renewing (its host died): after 1018 B takes the job over,
     * told whose it was (to remove that worker's partial file). */
    ck_assert_int_eq(omsi_catalog_job_claim_lease(cat, 1019, 10, &job, &err), 1);
    ck_assert_int_eq(job.id, a);
    ck_assert_ptr_nonnull(job.stale_host);
    ck_assert_str_eq(job.stale_host, "host-a");
    ck_assert_int_eq(job.stale_pid, getpid());
    ck_assert_int_eq(job.attempts, 2);
    omsi_job_free(&job);
    job_row(cat, a, host, sizeof host, &lease, &attempts);
    ck_assert_str_eq(host, "host-b");
    ck_assert_double_eq_tol(lease, 1029, 1e-6);

    /* A, back from the dead, finds it lost and changes nothing of B's. */
    as_host("host-a");
    ck_assert_int_eq(omsi_catalog_job_renew(cat, a, 1020, 10, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_abandon(cat, a, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_defer(cat, a, "incomplete", 2000, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_fail(cat, a, "boom", 1020, 5, 60, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_done(cat, a, &err), 0);
    ck_assert_int_eq(state_of(cat, a), OMSI_JOB_RUNNING);
    job_row(cat, a, host, sizeof host, &lease, &attempts);
    ck_assert_str_eq(host, "host-b");
    ck_assert_int_eq(attempts, 2);

    /* Nor can it record the conversion: the new owner does. */
    omsi_convert_result r;
    small_result(&r);
    omsi_record_source src = {.path = "/lease/a.imzML", .format = "imzml", .fingerprint = "aa11",
                              .output_sha256 = "bb22", .job_id = a};
    int64_t sid = 0;
    ck_assert_int_eq(omsi_catalog_record(cat, &src, &r, &sid, &err), OMSI_ERR_CANCELLED);
    ck_assert_msg(strstr(err.message, "taken over by another host"), "%s", err.message);
    int64_t existing;
    int version;
    ck_assert_int_eq(omsi_catalog_find_source(cat, src.path, src.fingerprint, &existing, &version, &err), 0);
    ck_assert_int_eq(existing, 0);
    ck_assert_int_eq(version, 0);

    /* A's restart puts back only its own interrupted jobs: none now. */
    int requeued = -1;
    ck_assert_int_eq(omsi_catalog_job_requeue_running(cat, &requeued, &err), 0);
    ck_assert_int_eq(requeued, 0);
    omsi_job_owner *owners;
    size_t n_owners;
    ck_assert_int_eq(omsi_catalog_job_running_owners(cat, &owners, &n_owners, &err), 0);
    ck_assert_uint_eq(n_owners, 0); /* B's workers are not A's to wait for or kill */
    free(owners);

    /* B records it; show names the host that converted it. */
    as_host("host-b");
    ck_assert_int_eq(omsi_catalog_record(cat, &src, &r, &sid, &err), 0);
    ck_assert_int_eq(state_of(cat, a), OMSI_JOB_DONE);
    json_object *shown = NULL;
    ck_assert_int_eq(omsi_catalog_show(cat, sid, &shown, &err), 0);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(shown, "host")), "host-b");
    json_object *outputs = json_object_object_get(shown, "output_files");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(json_object_array_get_idx(outputs, 0), "host")),
                     "host-b");
    json_object_put(shown);
    omsi_convert_result_free(&r);

    /* B's restart requeues its own job b (its owner is the restarting
     * process itself). */
    ck_assert_int_eq(omsi_catalog_job_requeue_running(cat, &requeued, &err), 0);
    ck_assert_int_eq(requeued, 1);
    ck_assert_int_eq(state_of(cat, b), OMSI_JOB_PENDING);
    omsi_catalog_close(cat);
}

START_TEST(lease_claim_renew_expire_retake_sqlite) { lease_cycle(false); }
END_TEST

START_TEST(lease_claim_renew_expire_retake_pg) { lease_cycle(true); }
END_TEST

/* A job without a lease (omsi_catalog_job_claim, a manual ingest) never
 * expires: only its own host's restart takes it back. */
START_TEST(no_lease_never_expires)
{
    omsi_catalog *cat = open_catalog(false);
    omsi_error err = {0};
    int64_t a;
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/lease/a.imzML", NULL, &a, &err), 0);
    as_host("host-a");
    omsi_job job;
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 1000, &job, &err), 1);
    omsi_job_free(&job);
    as_host("host-b");
    ck_assert_int_eq(omsi_catalog_job_claim_lease(cat, 1e12, 10, &job, &err), 0);
    omsi_catalog_close(cat);
}
END_TEST

static void touch(const char *name)
{
    char *p = omsi_path_join(test_dir, name);
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    ck_assert_int_ge(fd, 0);
    close(fd);
    free(p);
}

static bool exists(const char *name)
{
    char *p = omsi_path_join(test_dir, name);
    bool there = access(p, F_OK) == 0;
    free(p);
    return there;
}

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

START_TEST(partials_of_dead_writers)
{
    omsi_logger log = omsi_logger_make("test", OMSI_LOG_ERR);
    char name[8][160];
    pid_t dead = dead_pid();
    snprintf(name[0], sizeof name[0], ".a.h5.partial-%ld.host-a-Ab12Cd", (long)dead);
    snprintf(name[1], sizeof name[1], ".a.h5.partial-%ld.host-b-Ab12Cd", (long)dead);
    snprintf(name[2], sizeof name[2], ".b.h5.partial-%ld.host-a-Xy34Zw", (long)dead + 1);
    snprintf(name[3], sizeof name[3], ".c.h5.partial-%ld-Qq99Rr", (long)dead); /* before hosts were named */
    snprintf(name[4], sizeof name[4], ".d.h5.partial-%ld.host-a-Ee55Ff", (long)getpid());
    snprintf(name[5], sizeof name[5], "a-0123456789ab.h5");
    snprintf(name[6], sizeof name[6], ".e.h5.partial-%ld.host-b-Gg66Hh", (long)getpid());
    /* The writer's own temporary file beside name[0]. */
    snprintf(name[7], sizeof name[7], ".%.100s.partial-%ld-Ii77Jj", name[0], (long)dead);
    for (int i = 0; i < 8; i++)
        touch(name[i]);
    /* A retaking host removes exactly the dead worker's (host, pid) files. */
    watchd_remove_partials_of(test_dir, "host-a", dead, &log);
    ck_assert(!exists(name[0]));
    ck_assert(!exists(name[7]));
    for (int i = 1; i < 7; i++)
        ck_assert_msg(exists(name[i]), "%s", name[i]);
    /* At start, host B removes its own and host-less ones of dead writers,
     * keeps live writers' and host A's (A's lease decides). */
    as_host("host-b");
    watchd_remove_stale_partials(test_dir, &log);
    ck_assert(!exists(name[1]));
    ck_assert(!exists(name[3]));
    ck_assert(exists(name[2]));
    ck_assert(exists(name[4]));
    ck_assert(exists(name[5]));
    ck_assert(exists(name[6])); /* its writer (this process) runs */
}
END_TEST

static Suite *lease_suite(void)
{
    Suite *s = suite_create("jobs_lease");
    TCase *tc = tcase_create("lease");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lease_claim_renew_expire_retake_sqlite);
    if (pg_uri)
        tcase_add_test(tc, lease_claim_renew_expire_retake_pg);
    tcase_add_test(tc, no_lease_never_expires);
    tcase_add_test(tc, partials_of_dead_writers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    omsi_test_pg pg;
    int pg_rc = omsi_test_pg_start(&pg);
    if (pg_rc != 0 && pg_rc != OMSI_TEST_SKIP)
        return 1; /* the server is installed but does not start: a failure */
    if (pg_rc == 0)
        pg_uri = pg.uri;
    int rc = omsi_test_run(lease_suite(), false);
    omsi_test_pg_stop(&pg);
    return rc;
}
