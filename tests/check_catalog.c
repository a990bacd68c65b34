/* The SQLite catalog: schema and pragmas, recording, every query filter,
 * versions, the job state machine, ingest, concurrency and bad files. The
 * cases not about SQLite itself run on PostgreSQL too (case "postgresql",
 * when tests/test_pg.h finds or starts a server). */
#include "catalog/catalog_internal.h"
#include "ingest/ingest.h"
#include "tools/gen.h"
#include "catalog/query.h"
#include "catalog/record.h"
#include "catalog/report.h"
#include "tests/test_pg.h"
#include "tests/test_support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmp;
/* The server (set by main() before the runner forks) and, in a test of the
 * "postgresql" case, the URI of its empty schema, which stands for every
 * *.sqlite name of the test. */
static const char *pg_uri;
static char *pg_target;

static bool is_catalog_name(const char *name)
{
    size_t n = strlen(name);
    return n > 7 && strcmp(name + n - 7, ".sqlite") == 0;
}

static char *cat_path(const char *name)
{
    if (pg_target && is_catalog_name(name))
        return strdup(pg_target);
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/%s", tmp, name);
    return p;
}

static void setup(void) { tmp = omsi_test_mkdtemp("catalog"); }
static void teardown(void)
{
    omsi_test_rmtree(tmp);
    free(tmp);
    free(pg_target);
    pg_target = NULL;
}

static void setup_pg(void)
{
    setup();
    char schema[64];
    snprintf(schema, sizeof schema, "check_catalog_%ld", (long)getpid());
    pg_target = omsi_test_pg_schema_uri(pg_uri, schema);
}

static omsi_catalog *open_rw(const char *name)
{
    char *p = cat_path(name);
    omsi_catalog *c = NULL;
    omsi_error err = {0};
    ck_assert_msg(omsi_catalog_open(p, OMSI_CATALOG_READ_WRITE, &c, &err) == 0, "%s", err.message);
    free(p);
    return c;
}

/* On PostgreSQL through the catalog's own connection layer (a connection
 * of its own); on SQLite with sqlite3 itself, independent of it. */
static long long pg_scalar(const char *uri, const char *sql)
{
    omsi_catalog *c = NULL;
    omsi_error err = {0};
    ck_assert_msg(omsi_catalog_open(uri, OMSI_CATALOG_READ_ONLY, &c, &err) == 0, "%s", err.message);
    omsi_db_stmt *st = NULL;
    ck_assert_msg(omsi_db_prepare(c->db, sql, &st, &err) == 0, "%s: %s", sql, err.message);
    ck_assert_int_eq(omsi_db_step(st, &err), OMSI_DB_ROW);
    long long v = omsi_db_column_int64(st, 0);
    omsi_db_finalize(st);
    omsi_catalog_close(c);
    return v;
}

static long long scalar(const char *name, const char *sql)
{
    if (pg_target)
        return pg_scalar(pg_target, sql);
    char *p = cat_path(name);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(p);
    return v;
}

START_TEST(schema_and_pragmas)
{
    omsi_catalog *c = open_rw("a.sqlite");
    omsi_catalog_close(c);
    /* one version per sql/NNNN_*.sql migration */
    ck_assert_int_eq(scalar("a.sqlite", "PRAGMA user_version"), (long long)omsi_db_sqlite_driver.migrations_count);
    char *p = cat_path("a.sqlite");
    sqlite3 *db;
    sqlite3_open(p, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    sqlite3_step(st);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    ck_assert_int_eq(scalar("a.sqlite", "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                                        "('sources','jobs','output_files','experiments','datasets','regions',"
                                        "'dependencies','metadata','search')"), 9);
    /* Opening again does not migrate twice. */
    c = open_rw("a.sqlite");
    omsi_catalog_close(c);
    ck_assert_int_eq(scalar("a.sqlite", "PRAGMA user_version"), (long long)omsi_db_sqlite_driver.migrations_count);
    free(p);
}
END_TEST

START_TEST(bad_catalog_files)
{
    omsi_error err = {0};
    omsi_catalog *c = NULL;
    char *missing = cat_path("missing.sqlite");
    ck_assert_int_eq(omsi_catalog_open(missing, OMSI_CATALOG_READ_ONLY, &c, &err), OMSI_ERR_DB);
    ck_assert_ptr_nonnull(strstr(err.message, "missing.sqlite"));
    char *junk = cat_path("junk.sqlite");
    FILE *f = fopen(junk, "w");
    for (int i = 0; i < 200; i++)
        fputs("this is not a database at all. ", f);
    fclose(f);
    ck_assert_int_eq(omsi_catalog_open(junk, OMSI_CATALOG_READ_WRITE, &c, &err), OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, "not an omsi-catalog SQLite file") != NULL, "%s", err.message);
    ck_assert_ptr_null(c);
    /* A catalog from a newer program is refused, not damaged. */
    c = open_rw("new.sqlite");
    omsi_catalog_close(c);
    char *p = cat_path("new.sqlite");
    sqlite3 *db;
    sqlite3_open(p, &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    ck_assert_int_eq(omsi_catalog_open(p, OMSI_CATALOG_READ_WRITE, &c, &err), OMSI_ERR_DB);
    ck_assert_ptr_nonnull(strstr(err.message, "newer"));
    ck_assert_int_eq(omsi_catalog_open("/nonexistent-dir/x.sqlite", OMSI_CATALOG_READ_WRITE, &c, &err), OMSI_ERR_DB);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent-dir/x.sqlite"));
    free(missing);
    free(junk);
    free(p);
}
END_TEST

/* A synthetic conversion: one experiment, an MS1 dataset and a region. */
static void fake_result(omsi_convert_result *res, const char *out, double mz_lo, double mz_hi, uint64_t nx,
                        const char *instrument)
{
    memset(res, 0, sizeof *res);
    res->output_path = strdup(out);
    res->n_experiments = 1;
    res->experiments = calloc(1, sizeof *res->experiments);
    snprintf(res->experiments[0].identifier, sizeof res->experiments[0].identifier, "sample");
    res->experiments[0].n_datasets = 2;
    res->n_datasets = 2;
    res->datasets = calloc(2, sizeof *res->datasets);
    for (int i = 0; i < 2; i++) {
        omsi_converted_dataset *d = &res->datasets[i];
        omsi_meta_init(&d->metadata);
        snprintf(d->hdf5_path, sizeof d->hdf5_path, "/entry_0/data_%d", i);
        d->data_index = (size_t)i;
        d->info.nx = i ? 2 : nx;
        d->info.ny = 3;
        d->info.nz = 100;
        d->info.dtype = OMSI_DT_FLOAT32;
        d->mz_min = mz_lo;
        d->mz_max = mz_hi;
        d->spectra_written = d->info.nx * 3;
        d->total_intensity = 1000.5 * (i + 1);
        d->source_region = i ? 0 : -1;
        d->is_region = i == 1;
        snprintf(d->info.name, sizeof d->info.name, "%s", i ? "" : "MS1");
        if (i) {
            d->region = (omsi_region){1, 0, 2, 3, 6, "tumour"};
        }
    }
    omsi_meta_text(&res->datasets[0].metadata, OMSI_COLL_DATASET, "polarity", "positive", NULL, "MS:1000130");
    omsi_meta_float(&res->datasets[0].metadata, OMSI_COLL_DATASET, "pixel size", 50, "UO:0000017", "IMS:1000046");
    omsi_meta_text(&res->datasets[0].metadata, OMSI_COLL_INSTRUMENT, "instrument model", instrument, NULL, NULL);
    res->datasets[0].links = calloc(1, sizeof *res->datasets[0].links);
    res->datasets[0].n_links = 1;
    snprintf(res->datasets[0].links[0].link_name, 256, "msi_region_0");
    snprintf(res->datasets[0].links[0].type, 16, "contains");
    res->datasets[0].links[0].target = 1;
    res->bytes_out = 4096;
}

static int64_t record(omsi_catalog *c, const char *path, const char *format, const char *fp, double lo, double hi,
                      uint64_t nx, const char *instrument)
{
    omsi_convert_result res;
    fake_result(&res, "/out/x.h5", lo, hi, nx, instrument);
    omsi_record_source src = {.path = path, .format = format, .size_bytes = 1234, .n_files = 2,
                              .fingerprint = fp, .output_sha256 = "ab"};
    int64_t id = 0;
    omsi_error err = {0};
    ck_assert_msg(omsi_catalog_record(c, &src, &res, &id, &err) == 0, "%s", err.message);
    omsi_convert_result_free(&res);
    return id;
}

typedef struct rows {
    int n;
    int64_t sources[64];
    int64_t indexes[64];
    char names[64][64];
    double peak_mz[64];
} rows;

static int collect(void *ctx, const omsi_query_row *r)
{
    rows *x = ctx;
    if (x->n < 64) {
        x->sources[x->n] = r->source_id;
        x->indexes[x->n] = r->dataset_index;
        snprintf(x->names[x->n], 64, "%s", r->hdf5_path);
        x->peak_mz[x->n] = r->has_peak ? r->peak_mz : -1;
    }
    x->n++;
    return 0;
}

/* Runs `query ARGS...` (parsed like the CLI) and returns the number of rows. */
static int run_query(omsi_catalog *c, bool *truncated, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"query";
    for (; args && args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    omsi_query q;
    bool help;
    omsi_error err = {0};
    ck_assert_msg(omsi_query_parse(argc, argv, &q, &help, &err) == 0, "%s", err.message);
    rows r = {0};
    bool t = false;
    ck_assert_msg(omsi_catalog_query(c, &q, collect, &r, &t, &err) == 0, "%s", err.message);
    if (truncated)
        *truncated = t;
    return r.n;
}

#define Q(...) run_query(c, NULL, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(record_rows_and_filters)
{
    omsi_catalog *c = open_rw("q.sqlite");
    int64_t a = record(c, "/drop/a.imzML", "imzml", "fp-a", 100, 1000, 4, "Orbitrap Elite");
    record(c, "/drop/b.hdr", "img", "fp-b", 500, 2000, 40, "SolariX");
    ck_assert_int_eq(a, 1);
    ck_assert_int_eq(scalar("q.sqlite", "SELECT COUNT(*) FROM sources"), 2);
    ck_assert_int_eq(scalar("q.sqlite", "SELECT COUNT(*) FROM datasets"), 4);
    ck_assert_int_eq(scalar("q.sqlite", "SELECT COUNT(*) FROM regions WHERE name = 'tumour' AND x0 = 1 AND nx = 2"), 2);
    ck_assert_int_eq(scalar("q.sqlite", "SELECT COUNT(*) FROM dependencies WHERE link_name = 'msi_region_0' AND type = 'contains'"), 2);
    ck_assert_int_eq(scalar("q.sqlite", "SELECT COUNT(*) FROM metadata WHERE key = 'pixel size' AND unit = 'UO:0000017' AND value = '50'"), 2);
    ck_assert_int_eq(scalar("q.sqlite", "SELECT n_pixels FROM datasets WHERE source_id = 2 AND source_region = -1"), 120);

    ck_assert_int_eq(Q("--limit", "0"), 4);
    ck_assert_int_eq(Q("--format", "imzml"), 2);
    ck_assert_int_eq(Q("--format", "mzml"), 0);
    ck_assert_int_eq(Q("--mz", "300"), 2);            /* only a covers 300 */
    ck_assert_int_eq(Q("--mz", "1500"), 2);           /* only b */
    ck_assert_int_eq(Q("--mz", "700"), 4);            /* both */
    ck_assert_int_eq(Q("--mz", "2000.01", "--ppm", "10"), 2); /* 2000 + 10 ppm tolerance */
    ck_assert_int_eq(Q("--mz", "2000.1", "--ppm", "10"), 0);
    ck_assert_int_eq(Q("--min-pixels", "100"), 1);    /* b's 40 x 3 cube */
    ck_assert_int_eq(Q("--instrument", "orbitrap"), 2);
    ck_assert_int_eq(Q("--meta", "polarity=positive"), 4);
    ck_assert_int_eq(Q("--meta", "polarity=pos"), 0);
    ck_assert_int_eq(Q("--meta", "polarity~POS"), 4);
    ck_assert_int_eq(Q("--meta", "instrument model~solarix", "--meta", "polarity=positive"), 2);
    ck_assert_int_eq(Q("--text", "tumour"), 4);
    ck_assert_int_eq(Q("--text", "Orbitrap"), 2);
    ck_assert_int_eq(Q("--text", "nothing-like-this"), 0);
    ck_assert_int_eq(Q("--text", "\"quoted AND ("), 0); /* user text is not FTS syntax */
    ck_assert_int_eq(Q("--since", "2000-01-01"), 4);
    ck_assert_int_eq(Q("--until", "2000-01-01"), 0);
    ck_assert_int_eq(Q("--since", "2999-01-01T00:00:00"), 0);
    bool truncated = false;
    ck_assert_int_eq(run_query(c, &truncated, (const char *const[]){"--limit", "3", NULL}), 3);
    ck_assert(truncated);
    ck_assert_int_eq(run_query(c, &truncated, (const char *const[]){"--limit", "3", "--offset", "2", NULL}), 2);
    ck_assert(!truncated);
    omsi_catalog_close(c);
}
END_TEST

/* query --peak: the strongest peak in the window of each dataset. */
START_TEST(peak_filter)
{
    omsi_catalog *c = open_rw("p.sqlite");
    omsi_convert_result res;
    fake_result(&res, "/out/p.h5", 100, 1000, 4, "x");
    omsi_converted_dataset *d = &res.datasets[0];
    snprintf(d->analysis_path, sizeof d->analysis_path, "/entry_0/analysis_0");
    d->peaks = calloc(3, sizeof *d->peaks);
    d->n_peaks = 3;
    d->peaks[0] = (omsi_peak){.mz = 400.0, .intensity = 10, .coverage = 0.5};
    d->peaks[1] = (omsi_peak){.mz = 400.001, .intensity = 30, .coverage = 0.25};
    d->peaks[2] = (omsi_peak){.mz = 700.0, .intensity = 20, .coverage = 1};
    omsi_record_source src = {.path = "/drop/p.imzML", .format = "imzml", .size_bytes = 1, .n_files = 2,
                              .fingerprint = "fp-p", .output_sha256 = "ab"};
    int64_t id = 0;
    omsi_error err = {0};
    ck_assert_msg(omsi_catalog_record(c, &src, &res, &id, &err) == 0, "%s", err.message);
    omsi_convert_result_free(&res);
    const char *argv[] = {"query", "--peak", "400", "--ppm", "10", NULL};
    omsi_query q;
    bool help, t;
    ck_assert_int_eq(omsi_query_parse(5, (char **)argv, &q, &help, &err), 0);
    rows r = {0};
    ck_assert_msg(omsi_catalog_query(c, &q, collect, &r, &t, &err) == 0, "%s", err.message);
    ck_assert_int_eq(r.n, 1);
    ck_assert_double_eq_tol(r.peak_mz[0], 400.001, 1e-9); /* the stronger of the two in 10 ppm */
    ck_assert_int_eq(Q("--peak", "700", "--min-coverage", "0.9"), 1);
    ck_assert_int_eq(Q("--peak", "700", "--min-intensity", "21"), 0);
    ck_assert_int_eq(Q("--peak", "550"), 0);
    omsi_catalog_close(c);
}
END_TEST

START_TEST(versions_and_duplicates)
{
    omsi_catalog *c = open_rw("v.sqlite");
    record(c, "/drop/a.imzML", "imzml", "fp-1", 100, 1000, 4, "x");
    omsi_convert_result res;
    fake_result(&res, "/out/y.h5", 1, 2, 1, "x");
    omsi_record_source src = {.path = "/drop/a.imzML", .format = "imzml", .fingerprint = "fp-1", .output_sha256 = ""};
    int64_t id;
    omsi_error err = {0};
    ck_assert_int_ne(omsi_catalog_record(c, &src, &res, &id, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "already recorded"));
    omsi_convert_result_free(&res);
    ck_assert_int_eq(scalar("v.sqlite", "SELECT COUNT(*) FROM datasets"), 2); /* the failed one rolled back */
    int64_t v2 = record(c, "/drop/a.imzML", "imzml", "fp-2", 100, 1000, 4, "x");
    ck_assert_int_eq(scalar("v.sqlite", "SELECT version FROM sources WHERE fingerprint = 'fp-2'"), 2);
    ck_assert_int_eq(scalar("v.sqlite", "SELECT superseded_by FROM sources WHERE fingerprint = 'fp-1'"), v2);
    ck_assert_int_eq(Q("--limit", "0"), 2);
    ck_assert_int_eq(Q("--all-versions"), 4);
    int64_t found;
    int latest;
    ck_assert_int_eq(omsi_catalog_find_source(c, "/drop/a.imzML", "fp-1", &found, &latest, &err), 0);
    ck_assert_int_eq(found, 1);
    ck_assert_int_eq(latest, 2);
    omsi_catalog_close(c);
}
END_TEST

START_TEST(job_state_machine)
{
    omsi_catalog *c = open_rw("j.sqlite");
    omsi_error err = {0};
    int64_t a, again, b;
    ck_assert_int_eq(omsi_catalog_job_enqueue(c, "/d/a", "img", &a, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_enqueue(c, "/d/a", "img", &again, &err), 0);
    ck_assert_int_eq(a, again); /* no duplicate while unfinished */
    ck_assert_int_eq(omsi_catalog_job_enqueue(c, "/d/b", NULL, &b, &err), 0);
    omsi_job j;
    ck_assert_int_eq(omsi_catalog_job_claim(c, 1000, &j, &err), 1);
    ck_assert_int_eq(j.id, a);
    ck_assert_int_eq(j.attempts, 1);
    ck_assert_str_eq(j.format, "img");
    /* failure 1: retry after backoff 10 s */
    ck_assert_int_eq(omsi_catalog_job_fail(c, a, "boom", 1000, 3, 10, &err), 0);
    omsi_job_free(&j);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 1001, &j, &err), 1);
    ck_assert_int_eq(j.id, b); /* a waits for its backoff */
    ck_assert_ptr_null(j.format);
    omsi_job_free(&j);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 1005, &j, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 1010, &j, &err), 1);
    ck_assert_int_eq(j.id, a);
    ck_assert_int_eq(j.attempts, 2);
    ck_assert_str_eq(j.last_error, "boom");
    omsi_job_free(&j);
    /* failure 2: backoff doubles to 20 s */
    ck_assert_int_eq(omsi_catalog_job_fail(c, a, "boom 2", 1010, 3, 10, &err), 0);
    ck_assert_int_eq(scalar("j.sqlite", "SELECT CAST(next_attempt_at AS INTEGER) FROM jobs WHERE id = 1"), 1030);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 1030, &j, &err), 1);
    omsi_job_free(&j);
    /* failure 3 = max: quarantined, never claimed again */
    ck_assert_int_eq(omsi_catalog_job_fail(c, a, "boom 3", 1030, 3, 10, &err), 0);
    omsi_job_state state;
    ck_assert_int_eq(omsi_catalog_job_state(c, a, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_QUARANTINED);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 1e9, &j, &err), 0);
    /* running jobs of a dead process go back to pending; abandon is not an attempt */
    int64_t d;
    ck_assert_int_eq(omsi_catalog_job_enqueue(c, "/d/c", NULL, &d, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 2000, &j, &err), 1);
    omsi_job_free(&j);
    int n = 0;
    ck_assert_int_eq(omsi_catalog_job_requeue_running(c, &n, &err), 0);
    ck_assert_int_eq(n, 2); /* b was left running too */
    ck_assert_int_eq(omsi_catalog_job_claim(c, 2001, &j, &err), 1);
    ck_assert_int_eq(omsi_catalog_job_abandon(c, j.id, &err), 0);
    ck_assert_int_eq(scalar("j.sqlite", "SELECT COUNT(*) FROM jobs WHERE id = 2 AND state = 'pending'"), 1);
    omsi_job_free(&j);
    ck_assert_int_eq(omsi_catalog_job_done(c, d, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_state(c, d, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_DONE);
    omsi_catalog_close(c);
}
END_TEST

START_TEST(ingest_new_unchanged_new_version)
{
    omsi_catalog *c = open_rw("i.sqlite");
    char *data = cat_path("data"), *out = cat_path("out");
    omsi_gen_params p = omsi_gen_params_default();
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(data, "s", &p, &input, &err), 0);
    ck_assert_int_eq(omsi_gen_mkdirs(out, &err), 0);
    omsi_ingest_options o = {.output_dir = out, .convert = omsi_convert_options_default()};
    omsi_ingest_report rep;
    ck_assert_msg(omsi_ingest_path(c, input, &o, &rep, &err) == 0, "%s", err.message);
    ck_assert_int_eq(rep.outcome, OMSI_INGEST_NEW);
    ck_assert_ptr_nonnull(rep.output_path);
    ck_assert_int_eq(access(rep.output_path, R_OK), 0);
    omsi_ingest_report_free(&rep);
    ck_assert_int_eq(omsi_ingest_path(c, input, &o, &rep, &err), 0);
    ck_assert_int_eq(rep.outcome, OMSI_INGEST_UNCHANGED);
    ck_assert_int_eq(rep.source_id, 1);
    omsi_ingest_report_free(&rep);
    /* Same size, other content: a new version. */
    p.seed = 2;
    free(input);
    ck_assert_int_eq(omsi_gen_img(data, "s", &p, &input, &err), 0);
    ck_assert_int_eq(omsi_ingest_path(c, input, &o, &rep, &err), 0);
    ck_assert_int_eq(rep.outcome, OMSI_INGEST_NEW_VERSION);
    omsi_ingest_report_free(&rep);
    ck_assert_int_eq(scalar("i.sqlite", "SELECT COUNT(*) FROM sources"), 2);
    ck_assert_int_eq(scalar("i.sqlite", "SELECT COUNT(*) FROM output_files"), 2);
    ck_assert_int_eq(scalar("i.sqlite", "SELECT spectra FROM datasets WHERE source_id = 2"), 12);
    /* A broken dataset: an error naming the file, nothing recorded. */
    p.variant = "long";
    char *bad = NULL;
    ck_assert_int_eq(omsi_gen_img(data, "bad", &p, &bad, &err), 0);
    ck_assert_int_ne(omsi_ingest_path(c, bad, &o, &rep, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "bad.img"));
    ck_assert_int_eq(scalar("i.sqlite", "SELECT COUNT(*) FROM sources"), 2);
    free(bad);
    free(input);
    free(data);
    free(out);
    omsi_catalog_close(c);
}
END_TEST

START_TEST(reader_during_write_transaction)
{
    omsi_catalog *w = open_rw("c.sqlite");
    record(w, "/drop/a", "img", "fp", 1, 2, 1, "x");
    char *p = cat_path("c.sqlite");
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(p, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO jobs (source_path, state, created_at) "
                                      "VALUES ('/x', 'pending', 0);", NULL, NULL, NULL), SQLITE_OK);
    omsi_catalog *r = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_open(p, OMSI_CATALOG_READ_ONLY, &r, &err), 0);
    omsi_catalog *c = r;
    ck_assert_int_eq(Q("--limit", "0"), 2); /* WAL: readers are not blocked by the writer */
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    omsi_catalog_close(r);
    omsi_catalog_close(w);
    free(p);
}
END_TEST

START_TEST(query_argument_errors)
{
    const char *bad[][4] = {
        {"--mz", "abc", NULL}, {"--limit", "-1", NULL}, {"--since", "yesterday", NULL}, {"--meta", "novalue", NULL},
        {"--state", "sleeping", NULL}, {"--bogus", "1", NULL}, {"--format", NULL}, {"stray", NULL},
        {"--format", "nope", NULL}, {"--json", "--csv", NULL}, {"--csv", "--ndjson", NULL},
        {"--count=1", NULL}, {"--sort", "bogus", NULL}, {"--sort", "path,", NULL}, {"--m", "1", NULL},
        {"--count", "--csv", NULL}, {"--columns=", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[6] = {(char *)"query"};
        int argc = 1;
        for (int k = 0; bad[i][k]; k++)
            argv[argc++] = (char *)bad[i][k];
        omsi_query q;
        bool help;
        omsi_error err = {0};
        ck_assert_msg(omsi_query_parse(argc, argv, &q, &help, &err) == OMSI_ERR_USAGE, "case %zu accepted", i);
        ck_assert_msg(err.message[0], "case %zu: no message", i);
    }
    /* getopt_long's conventions: a flag takes no value, a unique prefix
     * names its option, the same output form twice is no conflict */
    {
        char *argv[] = {(char *)"query", (char *)"--count", (char *)"--form", (char *)"brukerflex",
                        (char *)"--json", (char *)"--json", (char *)"--format=img"};
        omsi_query q;
        bool help;
        omsi_error err = {0};
        ck_assert_msg(omsi_query_parse(7, argv, &q, &help, &err) == 0, "%s", err.message);
        ck_assert(q.count);
        ck_assert_int_eq(q.output, OMSI_OUT_JSON);
        ck_assert_uint_eq(q.n_formats, 2);
        ck_assert_str_eq(q.formats[0], "bruckerflex");
        ck_assert_str_eq(q.formats[1], "img");
        ck_assert_int_eq(q.limit, 100);
    }
    /* the format names agree with the reader registry */
    size_t n_formats;
    const omsi_format *const *formats = omsi_available_formats(&n_formats);
    for (size_t i = 0; i < n_formats; i++)
        ck_assert_str_eq(omsi_query_format_name(formats[i]->name), formats[i]->name);
    ck_assert_ptr_eq(omsi_query_format_name("brukerflex"), omsi_query_format_name("bruckerflex"));
    ck_assert_ptr_eq(omsi_format_by_name("brukerflex"), omsi_format_by_name("bruckerflex"));
    double t;
    ck_assert_int_eq(omsi_query_parse_time("2026-11-24", &t), 0);
    ck_assert_double_eq(t, 1795478400.0);
    ck_assert_int_eq(omsi_query_parse_time("1795478400", &t), 0);
    ck_assert_double_eq(t, 1795478400.0);
}
END_TEST

/* The progress callback of the conversion changes the input once, as a lab
 * copying over a dataset being converted would. */
typedef struct changer {
    const char *file;
    int calls;
} changer;

static void change_input(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    (void)stage, (void)done, (void)total;
    changer *ch = ctx;
    if (ch->calls++)
        return;
    FILE *f = fopen(ch->file, "r+b");
    ck_assert_ptr_nonnull(f);
    int b = fgetc(f);
    fseek(f, 0, SEEK_SET);
    fputc(b ^ 0x55, f); /* same size, other content */
    fclose(f);
}

START_TEST(ingest_changed_during_conversion)
{
    omsi_catalog *c = open_rw("chg.sqlite");
    char *data = cat_path("data"), *out = cat_path("out");
    omsi_gen_params p = omsi_gen_params_default();
    char *input = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(data, "s", &p, &input, &err), 0);
    ck_assert_int_eq(omsi_gen_mkdirs(out, &err), 0);
    char img[4096];
    snprintf(img, sizeof img, "%s/s.img", data);
    changer ch = {.file = img};
    omsi_ingest_options o = {.output_dir = out, .convert = omsi_convert_options_default()};
    o.convert.progress = change_input;
    o.convert.progress_ctx = &ch;
    omsi_ingest_report rep;
    ck_assert_int_eq(omsi_ingest_path(c, input, &o, &rep, &err), OMSI_ERR_INCOMPLETE);
    ck_assert_int_ge(ch.calls, 1);
    ck_assert_msg(strstr(err.message, "changed during conversion"), "%s", err.message);
    ck_assert_msg(strstr(err.message, "s.hdr"), "%s", err.message);
    ck_assert_int_eq(scalar("chg.sqlite", "SELECT COUNT(*) FROM sources"), 0);
    ck_assert_int_eq(omsi_test_count_entries(out), 0); /* output (and its staging name) discarded */
    /* Unchanged from now on: converted and recorded. */
    o.convert.progress = NULL;
    ck_assert_msg(omsi_ingest_path(c, input, &o, &rep, &err) == 0, "%s", err.message);
    ck_assert_int_eq(rep.outcome, OMSI_INGEST_NEW);
    omsi_ingest_report_free(&rep);
    ck_assert_int_eq(omsi_test_count_entries(out), 1);
    /* The daemon waits on it: no attempt counted, retried later. */
    int64_t id;
    omsi_job j;
    ck_assert_int_eq(omsi_catalog_job_enqueue(c, "/d/x", NULL, &id, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 100, &j, &err), 1);
    ck_assert_int_eq(omsi_catalog_job_defer(c, j.id, "changed during conversion", 160, &err), 0);
    omsi_job_free(&j);
    ck_assert_int_eq(scalar("chg.sqlite", "SELECT attempts FROM jobs WHERE source_path = '/d/x'"), 0);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 150, &j, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_claim(c, 161, &j, &err), 1);
    ck_assert_str_eq(j.last_error, "changed during conversion");
    omsi_job_free(&j);
    free(input);
    free(data);
    free(out);
    omsi_catalog_close(c);
}
END_TEST

/* In a child (as nobody when run as root: permission bits do not stop
 * root): opens the catalog read-only and reads it. Exit 0 ok, 1 open
 * failed, 2 read failed, 77 no way to drop privileges. */
static int read_as_other_user(const char *path)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(77);
        omsi_catalog *r = NULL;
        omsi_error e = {0};
        if (omsi_catalog_open(path, OMSI_CATALOG_READ_ONLY, &r, &e)) {
            fprintf(stderr, "%s\n", e.message);
            _exit(1);
        }
        json_object *o = NULL;
        int rc = omsi_catalog_stats(r, &o, &e);
        if (rc)
            fprintf(stderr, "%s\n", e.message);
        json_object_put(o);
        omsi_catalog_close(r);
        _exit(rc ? 2 : 0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(read_only_catalog_folder)
{
    /* A WAL catalog in a folder where the -shm file cannot be created (a
     * read-only mount, a folder without write permission). */
    char *dir = cat_path("ro"), path[4096];
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/cat.sqlite", dir);
    omsi_catalog *w = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &w, &err), 0);
    record(w, "/drop/a", "img", "fp", 1, 2, 1, "x");
    omsi_catalog_close(w);
    ck_assert_int_eq(chmod(tmp, 0755), 0);
    ck_assert_int_eq(chmod(path, 0444), 0);
    ck_assert_int_eq(chmod(dir, 0555), 0);
    int rc = read_as_other_user(path);
    if (rc == 77) {
        printf("SKIP: read_only_catalog_folder: running as root and cannot drop privileges\n");
    } else {
        ck_assert_int_eq(rc, 0);
        /* and a read-write open says why it cannot be used */
        if (geteuid() != 0) {
            ck_assert_int_ne(omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &w, &err), 0);
            ck_assert_msg(strstr(err.message, "read-only") || strstr(err.message, "readonly"), "%s",
                          err.message);
        }
    }
    chmod(dir, 0755);
    chmod(path, 0644);
    free(dir);
}
END_TEST

/* A row's dataset_index is the dataset's number within its source (what
 * image/spectrum --dataset and the web page's links take), also when a
 * filter hides the source's earlier datasets. */
START_TEST(dataset_index_within_source)
{
    omsi_catalog *c = open_rw("idx.sqlite");
    record(c, "/drop/one.imzML", "imzml", "fp-1", 100, 1000, 1, "Orbitrap"); /* data_0: 3 pixels, data_1: 6 */
    record(c, "/drop/two.imzML", "imzml", "fp-2", 100, 1000, 4, "Orbitrap"); /* data_0: 12, data_1: 6 */
    const char *all[] = {"--sort", "dataset", NULL}, *big[] = {"--min-pixels", "4", "--sort", "dataset", NULL};
    const char *const *cases[] = {all, big};
    const int want_n[] = {4, 3};
    const int64_t want_source[2][4] = {{1, 1, 2, 2}, {1, 2, 2}};
    const int64_t want_index[2][4] = {{0, 1, 0, 1}, {1, 0, 1}};
    for (int k = 0; k < 2; k++) {
        omsi_query q;
        bool help;
        omsi_error err = {0};
        char *argv[8] = {(char *)"query"};
        int argc = 1;
        for (const char *const *a = cases[k]; *a; a++)
            argv[argc++] = (char *)*a;
        ck_assert_msg(omsi_query_parse(argc, argv, &q, &help, &err) == 0, "%s", err.message);
        rows r = {0};
        bool t = false;
        ck_assert_msg(omsi_catalog_query(c, &q, collect, &r, &t, &err) == 0, "%s", err.message);
        ck_assert_int_eq(r.n, want_n[k]);
        for (int i = 0; i < r.n; i++) {
            ck_assert_int_eq(r.sources[i], want_source[k][i]);
            ck_assert_int_eq(r.indexes[i], want_index[k][i]);
        }
    }
    omsi_catalog_close(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("catalog");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, schema_and_pragmas);
    tcase_add_test(tc, bad_catalog_files);
    tcase_add_test(tc, record_rows_and_filters);
    tcase_add_test(tc, dataset_index_within_source);
    tcase_add_test(tc, versions_and_duplicates);
    tcase_add_test(tc, peak_filter);
    tcase_add_test(tc, job_state_machine);
    tcase_add_test(tc, ingest_new_unchanged_new_version);
    tcase_add_test(tc, reader_during_write_transaction);
    tcase_add_test(tc, query_argument_errors);
    tcase_add_test(tc, ingest_changed_during_conversion);
    tcase_add_test(tc, read_only_catalog_folder);
    suite_add_tcase(s, tc);
    omsi_test_pg pg;
    int pg_rc = omsi_test_pg_start(&pg);
    if (pg_rc != 0 && pg_rc != OMSI_TEST_SKIP)
        return 1; /* the server is installed but does not start: a failure */
    if (pg_rc == 0) {
        pg_uri = pg.uri;
        /* The cases that do not read or break the SQLite file itself. */
        TCase *tp = tcase_create("postgresql");
        tcase_add_checked_fixture(tp, setup_pg, teardown);
        tcase_set_timeout(tp, 60);
        tcase_add_test(tp, record_rows_and_filters);
        tcase_add_test(tp, dataset_index_within_source);
        tcase_add_test(tp, versions_and_duplicates);
        tcase_add_test(tp, peak_filter);
        tcase_add_test(tp, job_state_machine);
        tcase_add_test(tp, ingest_new_unchanged_new_version);
        tcase_add_test(tp, query_argument_errors);
        tcase_add_test(tp, ingest_changed_during_conversion);
        suite_add_tcase(s, tp);
    }
    int rc = omsi_test_run(s, false);
    omsi_test_pg_stop(&pg);
    return rc;
}
