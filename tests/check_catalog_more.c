/* Unit tests of the SQLite catalog: migrations and pragmas, recording one
 * conversion (exact rows, all or nothing, crash mid-transaction), every query
 * filter on a synthetic catalog of known content, the query argument parser,
 * re-ingest of unchanged and changed datasets, the job state machine, a
 * reader during a write (WAL), and bad, read-only and corrupt catalogs. */
#include "catalog/catalog_internal.h"
#include "catalog/db_sqlite.h"
#include "ingest/ingest.h"
#include "tools/gen.h"
#include "catalog/query.h"
#include "catalog/record.h"
#include "catalog/report.h"
#include "tests/test_support.h"
#include "tests/test_pg.h"
#include "base/omsi_proc.h"

#include <math.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---- */

static char *test_dir;
/* The PostgreSQL server (set by main() before the runner forks), and in a
 * test of the "postgresql" case the URI of its empty schema: the tests that
 * are not about SQLite itself run on both backends. */
static const char *pg_uri;
static char *pg_target;

static void setup(void) { test_dir = omsi_test_mkdtemp("catalog"); }
static void teardown(void)
{
    omsi_test_rmtree(test_dir);
    free(test_dir);
    test_dir = NULL;
    free(pg_target);
    pg_target = NULL;
}

static void setup_pg(void)
{
    setup();
    char schema[64];
    snprintf(schema, sizeof schema, "catalog_more_%ld", (long)getpid());
    pg_target = omsi_test_pg_schema_uri(pg_uri, schema);
}

/* A path in the test folder; on PostgreSQL, for "cat.sqlite", the schema. */
static char *temp_path(const char *name)
{
    if (pg_target && strcmp(name, "cat.sqlite") == 0)
        return strdup(pg_target);
    return omsi_path_join(test_dir, name);
}

static omsi_catalog *open_rw(const char *path)
{
    omsi_catalog *cat = NULL;
    omsi_error err = {0};
    int rc = omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &cat, &err);
    ck_assert_msg(rc == 0, "open %s: %s", path, err.message);
    return cat;
}

static omsi_catalog *fresh_catalog(void)
{
    char *path = temp_path("cat.sqlite");
    omsi_catalog *cat = open_rw(path);
    free(path);
    return cat;
}

/* First column of the first row of sql as an integer (-1 when no row). */
static int64_t sql_int(omsi_catalog *cat, const char *sql)
{
    omsi_db_stmt *st;
    omsi_error err = {0};
    ck_assert_msg(omsi_db_prepare(cat->db, sql, &st, &err) == 0, "%s: %s", sql, err.message);
    int64_t v = omsi_db_step(st, &err) == OMSI_DB_ROW ? omsi_db_column_int64(st, 0) : -1;
    omsi_db_finalize(st);
    return v;
}

/* First column of the first row as text, into a static-size buffer. */
static void sql_text(omsi_catalog *cat, const char *sql, char *out, size_t size)
{
    omsi_db_stmt *st;
    omsi_error err = {0};
    ck_assert_msg(omsi_db_prepare(cat->db, sql, &st, &err) == 0, "%s: %s", sql, err.message);
    out[0] = '\0';
    if (omsi_db_step(st, &err) == OMSI_DB_ROW && omsi_db_column_text(st, 0))
        snprintf(out, size, "%s", omsi_db_column_text(st, 0));
    omsi_db_finalize(st);
}

static void sql_exec(omsi_catalog *cat, const char *sql)
{
    omsi_error err = {0};
    int rc = omsi_db_exec(cat->db, sql, &err);
    ck_assert_msg(rc == 0, "%s: %s", sql, err.message);
}

/* A synthetic conversion result: one experiment, datasets added one by one. */
static void result_init(omsi_convert_result *r, const char *output, const char *identifier)
{
    memset(r, 0, sizeof *r);
    r->output_path = strdup(output);
    r->experiments = calloc(1, sizeof *r->experiments);
    ck_assert_ptr_nonnull(r->experiments);
    r->n_experiments = 1;
    snprintf(r->experiments[0].identifier, sizeof r->experiments[0].identifier, "%s", identifier);
    r->experiments[0].input_path = strdup(identifier);
    r->bytes_in = 1000;
    r->bytes_out = 4096;
    r->seconds = 0.5;
}

static omsi_converted_dataset *result_add(omsi_convert_result *r, const char *name, uint64_t nx,
                                          uint64_t ny, uint64_t nz, double mz_min, double mz_max)
{
    omsi_converted_dataset *d = realloc(r->datasets, (r->n_datasets + 1) * sizeof *d);
    ck_assert_ptr_nonnull(d);
    r->datasets = d;
    d = &r->datasets[r->n_datasets];
    memset(d, 0, sizeof *d);
    d->data_index = r->n_datasets;
    snprintf(d->hdf5_path, sizeof d->hdf5_path, "/entry_0/data_%zu", r->n_datasets);
    d->source_region = -1;
    d->info.nx = nx;
    d->info.ny = ny;
    d->info.nz = nz;
    d->info.n_spectra = nx * ny;
    d->info.dtype = OMSI_DT_FLOAT32;
    snprintf(d->info.name, sizeof d->info.name, "%s", name);
    d->mz_min = mz_min;
    d->mz_max = mz_max;
    d->spectra_written = nx * ny;
    d->total_intensity = (double)(nx * ny * nz);
    omsi_meta_init(&d->metadata);
    r->n_datasets++;
    r->experiments[0].n_datasets = r->n_datasets;
    return d;
}

static void add_link(omsi_converted_dataset *d, size_t target, const char *name, const char *type)
{
    omsi_converted_link *l = realloc(d->links, (d->n_links + 1) * sizeof *l);
    ck_assert_ptr_nonnull(l);
    d->links = l;
    l = &d->links[d->n_links++];
    memset(l, 0, sizeof *l);
    snprintf(l->link_name, sizeof l->link_name, "%s", name);
    snprintf(l->type, sizeof l->type, "%s", type);
    snprintf(l->help, sizeof l->help, "help for %s", name);
    l->target = target;
}

static int64_t record(omsi_catalog *cat, const char *path, const char *format,
                      const char *fingerprint, const omsi_convert_result *r)
{
    omsi_record_source src = {.path = path, .format = format, .size_bytes = 1000, .n_files = 2,
                              .fingerprint = fingerprint, .output_sha256 = "ab12"};
    int64_t id = 0;
    omsi_error err = {0};
    int rc = omsi_catalog_record(cat, &src, r, &id, &err);
    ck_assert_msg(rc == 0, "record %s: %s", path, err.message);
    return id;
}

/* ---- migrations and pragmas ---- */

START_TEST(open_migrates_with_pragmas)
{
    char *path = temp_path("cat.sqlite");
    omsi_catalog *cat = open_rw(path);
    ck_assert_int_eq(sql_int(cat, "PRAGMA user_version"), (int64_t)omsi_db_sqlite_driver.migrations_count);
    ck_assert_int_ge((int64_t)omsi_db_sqlite_driver.migrations_count, 1);
    char mode[32];
    sql_text(cat, "PRAGMA journal_mode", mode, sizeof mode);
    ck_assert_str_eq(mode, "wal");
    ck_assert_int_eq(sql_int(cat, "PRAGMA foreign_keys"), 1);
    ck_assert_int_eq(sql_int(cat, "PRAGMA synchronous"), 2); /* FULL */
    ck_assert_int_ge(sql_int(cat, "PRAGMA busy_timeout"), 1000);
    static const char *const tables[] = {"sources", "jobs", "output_files", "experiments", "datasets",
                                         "regions", "dependencies", "metadata", "search"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM sqlite_master WHERE name = '%s'", tables[i]);
        ck_assert_msg(sql_int(cat, sql) == 1, "table %s missing", tables[i]);
    }
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM sqlite_master WHERE sql LIKE '%fts5%'"), 1);
    omsi_catalog_close(cat);
    /* Re-opening does not re-run migrations; read-only open works at the current version. */
    cat = open_rw(path);
    ck_assert_int_eq(sql_int(cat, "PRAGMA user_version"), (int64_t)omsi_db_sqlite_driver.migrations_count);
    omsi_catalog_close(cat);
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_open(path, OMSI_CATALOG_READ_ONLY, &cat, &err), 0);
    ck_assert_int_eq(sql_int(cat, "PRAGMA foreign_keys"), 1);
    omsi_catalog_close(cat);
    free(path);
}
END_TEST

START_TEST(default_path_order)
{
    ck_assert_str_eq(omsi_catalog_default_path("/x/c.sqlite"), "/x/c.sqlite");
    setenv("OMSI_CATALOG", "/env/c.sqlite", 1);
    ck_assert_str_eq(omsi_catalog_default_path(NULL), "/env/c.sqlite");
    unsetenv("OMSI_CATALOG");
    ck_assert_str_eq(omsi_catalog_default_path(NULL), "/var/lib/omsi-catalog/catalog.sqlite");
}
END_TEST

START_TEST(newer_schema_refused)
{
    char *path = temp_path("new.sqlite");
    omsi_catalog *cat = open_rw(path);
    sql_exec(cat, "PRAGMA user_version = 999");
    omsi_catalog_close(cat);
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &cat, &err), OMSI_ERR_DB);
    ck_assert_ptr_null(cat);
    ck_assert_msg(strstr(err.message, "schema version 999 is newer") && strstr(err.message, path),
                  "%s", err.message);
    free(path);
}
END_TEST

/* ---- recording ---- */

/* Two datasets (a merged cube and a region of it), one link, metadata. */
static void two_dataset_result(omsi_convert_result *r, const char *output)
{
    result_init(r, output, "sample_b");
    omsi_converted_dataset *d = result_add(r, "", 10, 10, 100, 400, 900);
    omsi_meta_text(&d->metadata, OMSI_COLL_INSTRUMENT, "instrument_name", "Thermo Orbitrap", NULL,
                   "MS:1000031");
    omsi_meta_float(&d->metadata, OMSI_COLL_METHODS, "laser_energy", 42.5, "uJ", NULL);
    omsi_meta_int(&d->metadata, OMSI_COLL_DATASET, "pixel_count", 100, NULL, NULL);
    omsi_meta_text(&d->metadata, OMSI_COLL_DATASET, "sample", "rat kidney", NULL, NULL);
    d = result_add(r, "", 5, 5, 100, 400, 900);
    d->is_region = true;
    d->source_region = 0;
    d->region = (omsi_region){.x0 = 2, .y0 = 3, .nx = 5, .ny = 5, .n_spectra = 25};
    snprintf(d->region.name, sizeof d->region.name, "cortex");
    omsi_meta_text(&d->metadata, OMSI_COLL_DATASET, "region", "cortex", NULL, NULL);
    add_link(&r->datasets[0], 1, "msi_region_0", "contains");
    add_link(&r->datasets[1], 0, "msi_full", "subset");
}

START_TEST(record_exact_rows)
{
    omsi_catalog *cat = fresh_catalog();
    omsi_convert_result r;
    two_dataset_result(&r, "/out/b.h5");
    int64_t id = record(cat, "/data/b.imzML", "imzml", "ff00", &r);
    ck_assert_int_eq(id, 1);
    char text[512];
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM sources"), 1);
    sql_text(cat, "SELECT path || '|' || format || '|' || size_bytes || '|' || n_files || '|' || "
                  "fingerprint || '|' || version || '|' || (superseded_by IS NULL) FROM sources",
             text, sizeof text);
    ck_assert_str_eq(text, "/data/b.imzML|imzml|1000|2|ff00|1|1");
    sql_text(cat, "SELECT path || '|' || bytes || '|' || sha256 || '|' || seconds FROM output_files",
             text, sizeof text);
    ck_assert_str_eq(text, "/out/b.h5|4096|ab12|0.5");
    sql_text(cat, "SELECT identifier || '|' || entry_index FROM experiments", text, sizeof text);
    ck_assert_str_eq(text, "sample_b|0");
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM datasets"), 2);
    sql_text(cat, "SELECT group_concat(hdf5_path || ':' || nx || 'x' || ny || 'x' || nz || ':' || "
                  "n_pixels || ':' || dtype || ':' || mz_min || '-' || mz_max || ':' || spectra || ':' || "
                  "total_intensity || ':' || source_region, ' ') FROM (SELECT * FROM datasets ORDER BY id)",
             text, sizeof text);
    ck_assert_str_eq(text, "/entry_0/data_0:10x10x100:100:float32:400.0-900.0:100:10000.0:-1 "
                           "/entry_0/data_1:5x5x100:25:float32:400.0-900.0:25:2500.0:0");
    sql_text(cat, "SELECT name || ':' || x0 || ',' || y0 || ':' || nx || 'x' || ny || ':' || spectra "
                  "FROM regions",
             text, sizeof text);
    ck_assert_str_eq(text, "cortex:2,3:5x5:25");
    sql_text(cat, "SELECT group_concat(f.hdf5_path || '->' || t.hdf5_path || ':' || p.link_name || ':' || "
                  "p.type, ' ') FROM dependencies p JOIN datasets f ON f.id = p.from_dataset_id "
                  "JOIN datasets t ON t.id = p.to_dataset_id",
             text, sizeof text);
    ck_assert_str_eq(text, "/entry_0/data_0->/entry_0/data_1:msi_region_0:contains "
                           "/entry_0/data_1->/entry_0/data_0:msi_full:subset");
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM metadata"), 5);
    sql_text(cat, "SELECT collection || ':' || key || '=' || value || ':' || accession FROM metadata "
                  "WHERE key = 'instrument_name'",
             text, sizeof text);
    ck_assert_str_eq(text, "instrument:instrument_name=Thermo Orbitrap:MS:1000031");
    sql_text(cat, "SELECT value || ' ' || unit FROM metadata WHERE key = 'laser_energy'", text, sizeof text);
    ck_assert_str_eq(text, "42.5 uJ");
    sql_text(cat, "SELECT value FROM metadata WHERE key = 'pixel_count'", text, sizeof text);
    ck_assert_str_eq(text, "100");
    ck_assert_int_eq(sql_int(cat, "SELECT rowid FROM search WHERE search MATCH 'kidney'"), 1);
    ck_assert_int_eq(sql_int(cat, "SELECT rowid FROM search WHERE search MATCH 'cortex'"), 1);
    ck_assert_int_eq(sql_int(cat, "SELECT rowid FROM search WHERE search MATCH 'sample_b'"), 1);
    ck_assert_int_eq(sql_int(cat, "PRAGMA foreign_key_check"), -1); /* no violations */

    /* Recording the same path and fingerprint again is refused, nothing added. */
    omsi_record_source src = {.path = "/data/b.imzML", .format = "imzml", .fingerprint = "ff00",
                              .output_sha256 = "ab12"};
    int64_t again = 0;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_record(cat, &src, &r, &again, &err), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "already recorded"), "%s", err.message);
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM datasets"), 2);

    /* show: everything about the source as JSON. */
    json_object *o = NULL;
    ck_assert_int_eq(omsi_catalog_show(cat, 1, &o, &err), 0);
    json_object *x = json_object_array_get_idx(json_object_object_get(o, "experiments"), 0);
    json_object *ds = json_object_object_get(x, "datasets");
    ck_assert_int_eq(json_object_array_length(ds), 2);
    json_object *d1 = json_object_array_get_idx(ds, 1);
    json_object *reg = json_object_array_get_idx(json_object_object_get(d1, "regions"), 0);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(reg, "name")), "cortex");
    json_object *dep = json_object_array_get_idx(json_object_object_get(d1, "dependencies"), 0);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(dep, "target")), "/entry_0/data_0");
    json_object_put(o);
    ck_assert_int_eq(omsi_catalog_show(cat, 99, &o, &err), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "no source with id 99"), "%s", err.message);
    ck_assert_int_eq(omsi_catalog_stats(cat, &o, &err), 0);
    json_object *tot = json_object_object_get(o, "totals"); /* one object, not an array of one */
    ck_assert(json_object_is_type(tot, json_type_object));
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(tot, "datasets")), 2);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(tot, "bytes_in")), 1000);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(tot, "bytes_out")), 4096);
    json_object_put(o);
    omsi_convert_result_free(&r);
    omsi_catalog_close(cat);
}
END_TEST

static int64_t count_all_rows(omsi_catalog *cat)
{
    return sql_int(cat, "SELECT (SELECT COUNT(*) FROM sources) + (SELECT COUNT(*) FROM output_files) + "
                        "(SELECT COUNT(*) FROM experiments) + (SELECT COUNT(*) FROM datasets) + "
                        "(SELECT COUNT(*) FROM regions) + (SELECT COUNT(*) FROM dependencies) + "
                        "(SELECT COUNT(*) FROM metadata) + (SELECT COUNT(*) FROM search)");
}

START_TEST(record_failure_leaves_nothing)
{
    omsi_catalog *cat = fresh_catalog();
    omsi_convert_result r;
    two_dataset_result(&r, "/out/b.h5");
    /* The region insert fails after the source, output, datasets went in. */
    sql_exec(cat, "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.regions "
                  "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    omsi_record_source src = {.path = "/data/b.imzML", .format = "imzml", .fingerprint = "ff00",
                              .output_sha256 = "ab12"};
    int64_t id = 0;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_record(cat, &src, &r, &id, &err), OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, "disk on fire") && strstr(err.message, "cat.sqlite"), "%s",
                  err.message);
    ck_assert_int_eq(count_all_rows(cat), 0);
    /* The connection is usable afterwards. */
    sql_exec(cat, "DROP TRIGGER boom");
    ck_assert_int_eq(record(cat, "/data/b.imzML", "imzml", "ff00", &r), 1);
    omsi_convert_result_free(&r);
    omsi_catalog_close(cat);
}
END_TEST

static void die_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)ctx, (void)argc, (void)argv;
    _exit(3); /* a crash in the middle of the transaction */
}

START_TEST(crash_mid_record_leaves_nothing)
{
    char *path = temp_path("cat.sqlite");
    omsi_catalog *cat = open_rw(path);
    omsi_catalog_close(cat);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        omsi_catalog *child = NULL;
        omsi_error err = {0};
        if (omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &child, &err))
            _exit(1);
        sqlite3_create_function(omsi_db_sqlite_handle(child->db), "die_now", 0, SQLITE_UTF8, NULL, die_now, NULL, NULL);
        sqlite3_exec(omsi_db_sqlite_handle(child->db),
                     "CREATE TEMP TRIGGER crash AFTER INSERT ON main.dependencies "
                     "BEGIN SELECT die_now(); END",
                     NULL, NULL, NULL);
        omsi_convert_result r;
        two_dataset_result(&r, "/out/b.h5");
        omsi_record_source src = {.path = "/data/b.imzML", .format = "imzml", .fingerprint = "ff00",
                                  .output_sha256 = "ab12"};
        int64_t id;
        omsi_catalog_record(child, &src, &r, &id, &err);
        _exit(0); /* not reached */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3, "child status %d", status);
    cat = open_rw(path);
    char ok[32];
    sql_text(cat, "PRAGMA integrity_check", ok, sizeof ok);
    ck_assert_str_eq(ok, "ok");
    ck_assert_int_eq(count_all_rows(cat), 0);
    omsi_catalog_close(cat);
    free(path);
}
END_TEST

/* ---- queries on a synthetic catalog of known content ---- */

/* S1 img 4x3x50 mz 100-124.5 (2001); S2 imzml 10x10 + region 5x5, mz 400-900
 * (2020); S3 mzml 2x2x10 mz 1000-2000 (2023). Row order: S3, S2 d0, S2 d1, S1. */
static omsi_catalog *query_catalog(void)
{
    omsi_catalog *cat = fresh_catalog();
    omsi_convert_result r;
    result_init(&r, "/out/a.h5", "sample_a");
    omsi_converted_dataset *d = result_add(&r, "", 4, 3, 50, 100, 124.5);
    omsi_meta_text(&d->metadata, OMSI_COLL_INSTRUMENT, "instrument_name", "Bruker solariX", NULL, NULL);
    omsi_meta_text(&d->metadata, OMSI_COLL_DATASET, "sample", "mouse brain", NULL, NULL);
    record(cat, "/data/a.hdr", "img", "aaaa", &r);
    omsi_convert_result_free(&r);
    two_dataset_result(&r, "/out/b.h5");
    record(cat, "/data/b.imzML", "imzml", "bbbb", &r);
    omsi_convert_result_free(&r);
    result_init(&r, "/out/c.h5", "sample_c");
    d = result_add(&r, "FTMS + p NSI Full ms", 2, 2, 10, 1000, 2000);
    d->info.dtype = OMSI_DT_FLOAT64;
    omsi_meta_text(&d->metadata, OMSI_COLL_DATASET, "sample", "mouse liver", NULL, NULL);
    omsi_meta_text(&d->metadata, OMSI_COLL_METHODS, "notes", "lipid extraction", NULL, NULL);
    /* an instrument named by its CV term: the name is the key */
    omsi_meta_text(&d->metadata, OMSI_COLL_INSTRUMENT, "Q Exactive", "true", NULL, NULL);
    record(cat, "/data/c.mzML", "mzml", "cccc", &r);
    omsi_convert_result_free(&r);
    sql_exec(cat, "UPDATE sources SET ingested_at = CASE id WHEN 1 THEN 1000000000 "
                  "WHEN 2 THEN 1600000000 ELSE 1700000000 END");
    return cat;
}

typedef struct rows_seen {
    char ids[256]; /* "source:dataset source:dataset ..." */
    int count;
} rows_seen;

static int collect_row(void *ctx, const omsi_query_row *r)
{
    rows_seen *s = ctx;
    size_t len = strlen(s->ids);
    snprintf(s->ids + len, sizeof s->ids - len, "%s%lld:%lld", len ? " " : "", (long long)r->source_id,
             (long long)r->dataset_id);
    s->count++;
    return 0;
}

/* Runs `query ARGS...` (space-separated words) and returns the rows seen. */
static rows_seen run_query(omsi_catalog *cat, const char *args, bool *truncated)
{
    char buf[512];
    snprintf(buf, sizeof buf, "query %s", args);
    char *argv[32];
    int argc = 0;
    for (char *tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    /* "_" inside an argument stands for a space (values like "mouse brain"). */
    for (int i = 1; i < argc; i++)
        for (char *p = argv[i]; *p; p++)
            if (*p == '_' && strcmp(argv[i - 1], "--text") != 0)
                *p = ' ';
    omsi_query q;
    bool help;
    omsi_error err = {0};
    ck_assert_msg(omsi_query_parse(argc, argv, &q, &help, &err) == 0, "%s: %s", args, err.message);
    rows_seen seen = {0};
    bool trunc = false;
    int rc = omsi_catalog_query(cat, &q, collect_row, &seen, &trunc, &err);
    ck_assert_msg(rc == 0, "%s: %s", args, err.message);
    if (truncated)
        *truncated = trunc;
    return seen;
}

#define ASSERT_QUERY(cat, args, expected)                                                     \
    do {                                                                                      \
        rows_seen _s = run_query(cat, args, NULL);                                            \
        ck_assert_msg(strcmp(_s.ids, expected) == 0, "query %s: got '%s', expected '%s'", args, \
                      _s.ids, expected);                                                      \
    } while (0)

START_TEST(query_every_filter)
{
    omsi_catalog *cat = query_catalog();
    ASSERT_QUERY(cat, "", "3:4 2:2 2:3 1:1");
    ASSERT_QUERY(cat, "--format img", "1:1");
    ASSERT_QUERY(cat, "--format=mzml", "3:4");
    ASSERT_QUERY(cat, "--format img --format mzml", "3:4 1:1"); /* repeated: OR */
    ASSERT_QUERY(cat, "--format img --format img", "1:1");
    ASSERT_QUERY(cat, "--format brukerflex", "");
    ASSERT_QUERY(cat, "--instrument exactive", "3:4");   /* stored as the key */
    ASSERT_QUERY(cat, "--instrument q_EXACTIVE", "3:4");
    ASSERT_QUERY(cat, "--meta sample=mouse_brain --meta sample=mouse_liver", "3:4 1:1"); /* same key: OR */
    ASSERT_QUERY(cat, "--meta sample=mouse_brain --meta sample~liver --meta notes~lipid", "3:4");
    ASSERT_QUERY(cat, "--text kid*", "2:2 2:3");         /* prefix query */
    ASSERT_QUERY(cat, "--text liv*", "3:4");
    ASSERT_QUERY(cat, "--text kid", "");
    ASSERT_QUERY(cat, "--sort ingested", "1:1 2:2 2:3 3:4");
    ASSERT_QUERY(cat, "--sort -pixels", "2:2 2:3 1:1 3:4");
    ASSERT_QUERY(cat, "--sort path", "1:1 2:2 2:3 3:4");
    ASSERT_QUERY(cat, "--sort -dataset", "3:4 2:3 2:2 1:1");
    ASSERT_QUERY(cat, "--sort format,-dataset", "1:1 2:3 2:2 3:4");
    ASSERT_QUERY(cat, "--sort=-path,dataset --limit 3", "3:4 2:2 2:3");
    ASSERT_QUERY(cat, "--instrument orbitrap", "2:2 2:3");
    ASSERT_QUERY(cat, "--instrument SOLARIX", "1:1");
    ASSERT_QUERY(cat, "--since 2020-01-01", "3:4 2:2 2:3");
    ASSERT_QUERY(cat, "--until 2020-01-01", "1:1");
    ASSERT_QUERY(cat, "--since 2020-09-13T12:26:40 --until 1700000000", "2:2 2:3");
    ASSERT_QUERY(cat, "--since 1600000001", "3:4");
    ASSERT_QUERY(cat, "--mz 500", "2:2 2:3");
    ASSERT_QUERY(cat, "--mz 124.5 --ppm 0", "1:1");
    ASSERT_QUERY(cat, "--mz 124.5002 --ppm 0", "");
    ASSERT_QUERY(cat, "--mz 124.5002 --ppm 2", "1:1"); /* tolerance 0.000249 */
    ASSERT_QUERY(cat, "--mz 99.9995", "1:1");          /* default 10 ppm */
    ASSERT_QUERY(cat, "--mz 950", "");
    ASSERT_QUERY(cat, "--min-pixels 12", "2:2 2:3 1:1");
    ASSERT_QUERY(cat, "--min-pixels 13", "2:2 2:3");
    ASSERT_QUERY(cat, "--min-pixels 26", "2:2");
    ASSERT_QUERY(cat, "--meta sample=mouse_brain", "1:1");
    ASSERT_QUERY(cat, "--meta sample=mouse", "");
    ASSERT_QUERY(cat, "--meta sample~MOUSE", "3:4 1:1");
    ASSERT_QUERY(cat, "--meta sample~mouse --meta notes~lipid", "3:4");
    ASSERT_QUERY(cat, "--meta sample~mouse --format img", "1:1");
    ASSERT_QUERY(cat, "--meta region=cortex", "2:2 2:3");
    ASSERT_QUERY(cat, "--meta nokey~a", "");
    ASSERT_QUERY(cat, "--meta sample~%", "");   /* LIKE wildcards match themselves */
    ASSERT_QUERY(cat, "--meta sample~e%b", "");
    ASSERT_QUERY(cat, "--instrument %", "");
    ASSERT_QUERY(cat, "--text kidney", "2:2 2:3");
    ASSERT_QUERY(cat, "--text lipid", "3:4");
    ASSERT_QUERY(cat, "--text mouse", "3:4 1:1");
    ASSERT_QUERY(cat, "--text Brain", "1:1");
    ASSERT_QUERY(cat, "--text nothing", "");
    ASSERT_QUERY(cat, "--text \"broken", ""); /* quotes cannot form FTS syntax */
    ASSERT_QUERY(cat, "--text OR", "");
    ASSERT_QUERY(cat, "--text sample_c", "3:4"); /* experiment identifiers are searchable */
    ASSERT_QUERY(cat, "--format imzml --mz 400 --min-pixels 50 --instrument thermo", "2:2");
    bool truncated = false;
    rows_seen s = run_query(cat, "--limit 2", &truncated);
    ck_assert_str_eq(s.ids, "3:4 2:2");
    ck_assert(truncated);
    s = run_query(cat, "--limit 2 --offset 2", &truncated);
    ck_assert_str_eq(s.ids, "2:3 1:1");
    ck_assert(!truncated);
    s = run_query(cat, "--limit 0", &truncated);
    ck_assert_int_eq(s.count, 4);
    /* --count: every match, whatever the limit */
    {
        static const struct { const char *args; int64_t n; } counts[] = {
            {"--count --limit 1", 4}, {"--count --format imzml", 2}, {"--count --format img --format mzml", 2},
            {"--count --text nothing", 0}, {"--count --state pending", 0},
        };
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
            char line[128];
            snprintf(line, sizeof line, "%s", counts[i].args);
            omsi_query q;
            bool help;
            omsi_error err = {0};
            ck_assert_int_eq(omsi_query_parse_line(line, &q, &help, &err), 0);
            int64_t n = -1;
            ck_assert_msg(omsi_catalog_query_count(cat, &q, &n, &err) == 0, "%s", err.message);
            ck_assert_msg(n == counts[i].n, "%s: %lld", counts[i].args, (long long)n);
        }
    }
    ck_assert(!truncated);
    s = run_query(cat, "--offset 10", &truncated);
    ck_assert_int_eq(s.count, 0);
    omsi_catalog_close(cat);
}
END_TEST

typedef struct jobs_seen {
    char text[256];
} jobs_seen;

static int collect_job_count(void *ctx, const omsi_job_row *r)
{
    (void)r;
    ((rows_seen *)ctx)->count++;
    return 0;
}

static int collect_job(void *ctx, const omsi_job_row *r)
{
    jobs_seen *s = ctx;
    size_t len = strlen(s->text);
    snprintf(s->text + len, sizeof s->text - len, "%s%lld:%s:%d", len ? " " : "", (long long)r->id,
             r->state, r->attempts);
    return 0;
}

/* --min-pixels counts grid cells, --min-spectra the spectra stored: a sparse
 * 4 x 3 grid with 5 spectra is 12 pixels but 5 spectra. */
START_TEST(query_min_spectra)
{
    omsi_catalog *cat = fresh_catalog();
    omsi_convert_result r;
    result_init(&r, "/out/sparse.h5", "sparse");
    omsi_converted_dataset *d = result_add(&r, "", 4, 3, 20, 100, 200);
    d->info.n_spectra = d->spectra_written = 5;
    record(cat, "/data/sparse.imzML", "imzml", "ssss", &r);
    omsi_convert_result_free(&r);
    result_init(&r, "/out/dense.h5", "dense");
    result_add(&r, "", 3, 3, 20, 100, 200);
    record(cat, "/data/dense.imzML", "imzml", "dddd", &r);
    omsi_convert_result_free(&r);
    ASSERT_QUERY(cat, "--min-pixels 10", "1:1");
    ASSERT_QUERY(cat, "--min-spectra 5", "2:2 1:1");
    ASSERT_QUERY(cat, "--min-spectra 6", "2:2");
    ASSERT_QUERY(cat, "--min-spectra=10", "");
    ASSERT_QUERY(cat, "--min-pixels 10 --min-spectra 6", "");
    omsi_query q;
    bool help;
    omsi_error err = {0};
    char *bad[] = {"query", "--min-spectra", "-1"};
    ck_assert_int_eq(omsi_query_parse(3, bad, &q, &help, &err), OMSI_ERR_USAGE);
    ck_assert_str_eq(err.message, "--min-spectra: '-1' is not a count");
    omsi_catalog_close(cat);
}
END_TEST

START_TEST(query_job_state)
{
    omsi_catalog *cat = fresh_catalog();
    omsi_error err = {0};
    int64_t a, b, c;
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/a", NULL, &a, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/b", "img", &b, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/c", NULL, &c, &err), 0);
    omsi_job job;
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 100, &job, &err), 1);
    ck_assert_int_eq(omsi_catalog_job_fail(cat, job.id, "bad header", 100, 1, 10, &err), 0);
    omsi_job_free(&job);
    static const char *const cases[][2] = {
        {"--state quarantined", "1:quarantined:1"},
        {"--state pending", "3:pending:0 2:pending:0"},
        {"--state done", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "query %s", cases[i][0]);
        char *argv[3] = {strtok(buf, " "), strtok(NULL, " "), strtok(NULL, " ")};
        omsi_query q;
        bool help;
        ck_assert_int_eq(omsi_query_parse(3, argv, &q, &help, &err), 0);
        jobs_seen s = {{0}};
        bool truncated;
        ck_assert_int_eq(omsi_catalog_query_jobs(cat, &q, collect_job, &s, &truncated, &err), 0);
        ck_assert_msg(strcmp(s.text, cases[i][1]) == 0, "%s: '%s'", cases[i][0], s.text);
    }
    omsi_catalog_close(cat);
}
END_TEST

/* ---- the query argument parser ---- */

static int parse_words(const char *words, omsi_query *q, bool *help, omsi_error *err)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "query %s", words);
    char *argv[64];
    int argc = 0;
    for (char *tok = strtok(buf, " "); tok && argc < 64; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    return omsi_query_parse(argc, argv, q, help, err);
}

START_TEST(query_parser)
{
    omsi_query q;
    bool help;
    omsi_error err = {0};
    ck_assert_int_eq(parse_words("", &q, &help, &err), 0);
    ck_assert_int_eq(q.limit, 100);
    ck_assert(!q.has_mz && !q.has_since && q.n_meta == 0 && q.output == OMSI_OUT_TABLE && !help);
    ck_assert_int_eq(parse_words("--json --mz 500.5 --ppm 3 --limit 7 --offset 2 --since 2024-02-29 "
                                 "--until=2024-03-01T12:30 --min-pixels 9 --meta a=b --meta c~d",
                                 &q, &help, &err), 0);
    ck_assert_int_eq(q.output, OMSI_OUT_JSON);
    ck_assert(q.has_mz && q.mz == 500.5 && q.ppm == 3);
    ck_assert_int_eq(q.limit, 7);
    ck_assert_int_eq(q.offset, 2);
    ck_assert(q.has_since && q.since == 1709164800.0);
    ck_assert(q.has_until && q.until == 1709296200.0);
    ck_assert_int_eq(q.min_pixels, 9);
    ck_assert_int_eq(q.n_meta, 2);
    ck_assert(strncmp(q.meta[0].key, "a=", 2) == 0 && strcmp(q.meta[0].value, "b") == 0 &&
              !q.meta[0].substring);
    ck_assert(strcmp(q.meta[1].value, "d") == 0 && q.meta[1].substring);
    ck_assert_int_eq(parse_words("--csv --help", &q, &help, &err), 0);
    ck_assert(help);
    static const char *const bad[][2] = {
        {"--mz", "--mz needs a value"},
        {"--mz abc", "not a number"},
        {"--mz -5", "not a number >= 0"},
        {"--mz inf", "not a number"},
        {"--ppm 2e6", "more than 1e6"},
        {"--limit -1", "not a count"},
        {"--limit 12x", "not a count"},
        {"--offset 99999999999999999999", "not a count"},
        {"--since yesterday", "not a date"},
        {"--until 2024-13-01", "not a date"},
        {"--meta novalue", "not KEY=VALUE"},
        {"--meta =x", "not KEY=VALUE"},
        {"--state sleeping", "is not pending"},
        {"--bogus 1", "unknown option '--bogus'"},
        {"stray", "unexpected argument 'stray'"},
        {"--a-very-long-option-name-that-goes-on-and-on=1", "unknown option"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        omsi_error_clear(&err);
        ck_assert_msg(parse_words(bad[i][0], &q, &help, &err) == OMSI_ERR_USAGE, "%s accepted", bad[i][0]);
        ck_assert_msg(strstr(err.message, bad[i][1]), "%s: '%s'", bad[i][0], err.message);
    }
    char meta[32];
    char many[17 * 12 + 1] = "";
    for (int i = 0; i < 17; i++) {
        snprintf(meta, sizeof meta, "--meta k=%d ", i);
        strcat(many, meta);
    }
    ck_assert_int_eq(parse_words(many, &q, &help, &err), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "at most 16"), "%s", err.message);

    /* The one-line form (fuzzing entry point). */
    char line[] = "  --format\timzml   --mz 300 --meta a~b\n";
    ck_assert_int_eq(omsi_query_parse_line(line, &q, &help, &err), 0);
    ck_assert_uint_eq(q.n_formats, 1);
    ck_assert_str_eq(q.formats[0], "imzml");
    ck_assert(q.has_mz && q.mz == 300 && q.n_meta == 1 && q.meta[0].substring);
    char empty[] = "";
    ck_assert_int_eq(omsi_query_parse_line(empty, &q, &help, &err), 0);
    ck_assert_int_eq(q.limit, 100);
    char words[65 * 2 + 1];
    for (int i = 0; i < 65; i++)
        memcpy(words + 2 * i, "x ", 2);
    words[130] = '\0';
    ck_assert_int_eq(omsi_query_parse_line(words, &q, &help, &err), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "more than 64 words"), "%s", err.message);
}
END_TEST

/* Hostile arguments from the audit: an INT64_MAX limit (limit + 1
 * overflowed), words that are FTS5 syntax, no words at all, dates that do
 * not exist. */
static int parse_argv(omsi_query *q, omsi_error *err, const char *a, const char *b, const char *c,
                      const char *d)
{
    char *argv[5] = {"query", (char *)a, (char *)b, (char *)c, (char *)d};
    int argc = 1;
    while (argc < 5 && argv[argc])
        argc++;
    bool help;
    omsi_error_clear(err);
    return omsi_query_parse(argc, argv, q, &help, err);
}

START_TEST(query_hostile_arguments)
{
    omsi_catalog *cat = query_catalog();
    omsi_query q;
    omsi_error err = {0};
    rows_seen seen;
    bool truncated = true;
    ck_assert_int_eq(parse_argv(&q, &err, "--limit", "9223372036854775807", NULL, NULL), 0);
    ck_assert(q.limit == INT64_MAX);
    memset(&seen, 0, sizeof seen);
    ck_assert_msg(omsi_catalog_query(cat, &q, collect_row, &seen, &truncated, &err) == 0, "%s", err.message);
    ck_assert_str_eq(seen.ids, "3:4 2:2 2:3 1:1");
    ck_assert(!truncated);
    ck_assert_int_eq(parse_argv(&q, &err, "--limit", "9223372036854775807", "--offset", "9223372036854775807"), 0);
    memset(&seen, 0, sizeof seen);
    ck_assert_int_eq(omsi_catalog_query(cat, &q, collect_row, &seen, &truncated, &err), 0);
    ck_assert_int_eq(seen.count, 0);
    ck_assert_int_eq(parse_argv(&q, &err, "--offset", "9223372036854775807", "--state", "pending"), 0);
    ck_assert_int_eq(omsi_catalog_query_jobs(cat, &q, collect_job_count, &seen, &truncated, &err), 0);
    ck_assert_int_eq(parse_argv(&q, &err, "--limit", "9223372036854775808", NULL, NULL), OMSI_ERR_USAGE);
    ck_assert_int_eq(parse_argv(&q, &err, "--limit", "-9223372036854775808", NULL, NULL), OMSI_ERR_USAGE);

    /* no words: a usage error naming --text, not an FTS5 syntax error */
    static const char *const empty[] = {"", "   ", "\t", "...", "\"\"", "- * ^ : ( )"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        ck_assert_msg(parse_argv(&q, &err, "--text", empty[i], NULL, NULL) == OMSI_ERR_USAGE, "'%s' accepted",
                      empty[i]);
        ck_assert_msg(strstr(err.message, "--text") && strstr(err.message, "no words"), "%s", err.message);
    }
    /* FTS5 operators and quotes are searched as words (the tokenizer drops
     * punctuation, so a quote or caret next to kidney still finds it) */
    static const char *const syntax[][2] = {
        {"AND", ""}, {"OR NOT", ""}, {"kidney AND", ""}, {"NEAR(kidney tumour)", ""},
        {"\"kidney", "2:2 2:3"}, {"kidney\"", "2:2 2:3"}, {"names:kidney", ""}, {"kid*", "2:2 2:3"}, {"k*dney", ""},
        {"^kidney", "2:2 2:3"},
        {"kidney -", "2:2 2:3"}, {"KIDNEY", "2:2 2:3"}, {"{names} : kidney", ""},
    };
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
        ck_assert_int_eq(parse_argv(&q, &err, "--text", syntax[i][0], NULL, NULL), 0);
        memset(&seen, 0, sizeof seen);
        ck_assert_msg(omsi_catalog_query(cat, &q, collect_row, &seen, &truncated, &err) == 0, "%s: %s",
                      syntax[i][0], err.message);
        ck_assert_msg(strcmp(seen.ids, syntax[i][1]) == 0, "%s: '%s'", syntax[i][0], seen.ids);
    }
    /* a library caller that skips the parser: matches nothing, no error */
    ck_assert_int_eq(parse_argv(&q, &err, NULL, NULL, NULL, NULL), 0);
    q.text = " ";
    memset(&seen, 0, sizeof seen);
    ck_assert_msg(omsi_catalog_query(cat, &q, collect_row, &seen, &truncated, &err) == 0, "%s", err.message);
    ck_assert_int_eq(seen.count, 0);

    /* dates that do not exist */
    static const char *const impossible[] = {
        "2026-02-30", "2023-02-29", "1900-02-29", "2026-04-31", "2026-01-01T24:00",
        "2026-01-01T23:60", "2026-01-01T23:59:60", "2026-06-31 12:00:00", "2026-00-10", "2026-01-00",
    };
    for (size_t i = 0; i < sizeof impossible / sizeof impossible[0]; i++) {
        ck_assert_msg(parse_argv(&q, &err, "--since", impossible[i], NULL, NULL) == OMSI_ERR_USAGE,
                      "%s accepted", impossible[i]);
        ck_assert_msg(strstr(err.message, "--since") && strstr(err.message, impossible[i]), "%s", err.message);
        ck_assert_int_eq(parse_argv(&q, &err, "--until", impossible[i], NULL, NULL), OMSI_ERR_USAGE);
    }
    ck_assert_int_eq(parse_argv(&q, &err, "--since", "2026-02-30", NULL, NULL), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "not a date that exists"), "%s", err.message);
    ck_assert_int_eq(parse_argv(&q, &err, "--since", "2024-02-29T23:59:59", NULL, NULL), 0);
    ck_assert(q.since == 1709251199.0);
    ck_assert_int_eq(parse_argv(&q, &err, "--since", "2000-02-29", NULL, NULL), 0);
    ck_assert(q.since == 951782400.0);
    ck_assert_int_eq(parse_argv(&q, &err, "--until", "2026-12-31T00:00", NULL, NULL), 0);
    omsi_catalog_close(cat);
}
END_TEST

/* ---- ingest of real (generated) datasets: unchanged and changed ---- */

static char *gen_img(const char *dir, uint32_t seed)
{
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 3;
    p.ny = 2;
    p.nz = 20;
    p.seed = seed;
    char *path = NULL;
    omsi_error err = {0};
    ck_assert_msg(omsi_gen_img(dir, "sample", &p, &path, &err) == 0, "%s", err.message);
    return path;
}

START_TEST(ingest_unchanged_and_new_version)
{
    omsi_catalog *cat = fresh_catalog();
    char *drop = temp_path("drop"), *out = temp_path("out");
    ck_assert_int_eq(mkdir(out, 0755), 0);
    char *path = gen_img(drop, 1);
    omsi_ingest_options opts = {.output_dir = out, .convert = omsi_convert_options_default()};
    omsi_ingest_report rep;
    omsi_error err = {0};
    ck_assert_msg(omsi_ingest_path(cat, path, &opts, &rep, &err) == 0, "%s", err.message);
    ck_assert_int_eq(rep.outcome, OMSI_INGEST_NEW);
    ck_assert_int_eq(rep.source_id, 1);
    ck_assert_uint_eq(rep.datasets, 1);
    ck_assert_ptr_nonnull(rep.output_path);
    ck_assert(omsi_is_regular_file(rep.output_path));
    char *first_output = strdup(rep.output_path);
    omsi_ingest_report_free(&rep);
    char text[256];
    sql_text(cat, "SELECT format || ':' || n_files || ':' || version || ':' || length(fingerprint) "
                  "FROM sources",
             text, sizeof text);
    ck_assert_str_eq(text, "img:3:1:64");
    sql_text(cat, "SELECT nx || 'x' || ny || 'x' || nz || ':' || mz_min || ':' || spectra FROM datasets",
             text, sizeof text);
    /* (A double as text: "100.0" on SQLite, "100" on PostgreSQL.) */
    ck_assert_str_eq(text, pg_target ? "3x2x20:100:6" : "3x2x20:100.0:6");
    /* The same content again: nothing converted, nothing recorded. */
    ck_assert_msg(omsi_ingest_path(cat, path, &opts, &rep, &err) == 0, "%s", err.message);
    ck_assert_int_eq(rep.outcome, OMSI_INGEST_UNCHANGED);
    ck_assert_int_eq(rep.source_id, 1);
    ck_assert_ptr_null(rep.output_path);
    omsi_ingest_report_free(&rep);
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM sources"), 1);
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM output_files"), 1);
    /* Changed content at the same path: a new version, the old one superseded. */
    free(gen_img(drop, 2));
    ck_assert_msg(omsi_ingest_path(cat, path, &opts, &rep, &err) == 0, "%s", err.message);
    ck_assert_int_eq(rep.outcome, OMSI_INGEST_NEW_VERSION);
    ck_assert_int_eq(rep.source_id, 2);
    ck_assert_str_ne(rep.output_path, first_output);
    omsi_ingest_report_free(&rep);
    ck_assert_int_eq(sql_int(cat, "SELECT version FROM sources WHERE id = 2"), 2);
    ck_assert_int_eq(sql_int(cat, "SELECT superseded_by FROM sources WHERE id = 1"), 2);
    ck_assert_int_eq(sql_int(cat, "SELECT superseded_by IS NULL FROM sources WHERE id = 2"), 1);
    ck_assert_int_eq(sql_int(cat, "SELECT (SELECT first_seen FROM sources WHERE id = 1) = "
                                  "(SELECT first_seen FROM sources WHERE id = 2)"), 1);
    ASSERT_QUERY(cat, "", "2:2");
    ASSERT_QUERY(cat, "--all-versions", "2:2 1:1");
    /* The same content elsewhere: its own source, with the same fingerprint. */
    char *drop2 = temp_path("drop2");
    char *copy = gen_img(drop2, 2);
    ck_assert_msg(omsi_ingest_path(cat, copy, &opts, &rep, &err) == 0, "%s", err.message);
    ck_assert_int_eq(rep.outcome, OMSI_INGEST_NEW);
    omsi_ingest_report_free(&rep);
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(DISTINCT fingerprint) FROM sources WHERE id IN (2, 3)"), 1);
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM sources WHERE superseded_by IS NULL"), 2);
    free(copy);
    free(drop2);
    /* A path no reader claims: a clear error, nothing recorded. */
    char *junk = temp_path("junk.txt");
    ck_assert_int_eq(omsi_gen_write_file(test_dir, "junk.txt", "hello", 5, &err), 0);
    omsi_error_clear(&err);
    ck_assert_int_ne(omsi_ingest_path(cat, junk, &opts, &rep, &err), 0);
    ck_assert_msg(strstr(err.message, "junk.txt"), "%s", err.message);
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM sources"), 3);
    free(junk);
    free(first_output);
    free(path);
    free(drop);
    free(out);
    omsi_catalog_close(cat);
}
END_TEST

/* ---- jobs ---- */

START_TEST(jobs_state_machine)
{
    char *path = temp_path("cat.sqlite");
    omsi_catalog *cat = open_rw(path);
    omsi_error err = {0};
    int64_t a, b, again;
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/a", NULL, &a, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/b", "img", &b, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/a", NULL, &again, &err), 0);
    ck_assert_int_eq(again, a); /* no duplicate while unfinished */
    ck_assert_int_eq(sql_int(cat, "SELECT COUNT(*) FROM jobs"), 2);

    omsi_job job;
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 1000, &job, &err), 1);
    ck_assert_int_eq(job.id, a);
    ck_assert_str_eq(job.source_path, "/drop/a");
    ck_assert_ptr_null(job.format);
    ck_assert_int_eq(job.attempts, 1);
    ck_assert_int_eq(job.state, OMSI_JOB_RUNNING);
    omsi_job_free(&job);
    omsi_job_state state;
    ck_assert_int_eq(omsi_catalog_job_state(cat, a, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_RUNNING);

    /* Failure 1: retry after 10 s; failure 2: after 20 s; failure 3: quarantined. */
    ck_assert_int_eq(omsi_catalog_job_fail(cat, a, "a: truncated", 1000, 3, 10, &err), 0);
    ck_assert_int_eq(sql_int(cat, "SELECT next_attempt_at FROM jobs WHERE id = 1"), 1010);
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 1001, &job, &err), 1);
    ck_assert_int_eq(job.id, b); /* a waits for its backoff */
    ck_assert_str_eq(job.format, "img");
    omsi_job_free(&job);
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 1009, &job, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 1010, &job, &err), 1);
    ck_assert_int_eq(job.id, a);
    ck_assert_int_eq(job.attempts, 2);
    ck_assert_str_eq(job.last_error, "a: truncated");
    omsi_job_free(&job);
    ck_assert_int_eq(omsi_catalog_job_fail(cat, a, "a: truncated again", 1010, 3, 10, &err), 0);
    ck_assert_int_eq(sql_int(cat, "SELECT next_attempt_at FROM jobs WHERE id = 1"), 1030);
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 1030, &job, &err), 1);
    ck_assert_int_eq(job.attempts, 3);
    omsi_job_free(&job);
    ck_assert_int_eq(omsi_catalog_job_fail(cat, a, "a: still truncated", 1030, 3, 10, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_state(cat, a, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_QUARANTINED);
    char text[128];
    sql_text(cat, "SELECT last_error || ':' || attempts FROM jobs WHERE id = 1", text, sizeof text);
    ck_assert_str_eq(text, "a: still truncated:3");
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 1e9, &job, &err), 0); /* never again */
    /* A quarantined path can be queued afresh (an operator fixed it). */
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/a", NULL, &again, &err), 0);
    ck_assert_int_ne(again, a);

    /* b is running; the process dies; restart requeues it. */
    omsi_catalog_close(cat);
    cat = open_rw(path);
    int count = -1;
    ck_assert_int_eq(omsi_catalog_job_requeue_running(cat, &count, &err), 0);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(omsi_catalog_job_state(cat, b, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_PENDING);
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 2000, &job, &err), 1);
    ck_assert_int_eq(job.id, b);
    ck_assert_int_eq(job.attempts, 2);
    omsi_job_free(&job);
    /* Abandon (SIGTERM) does not count the attempt. */
    ck_assert_int_eq(omsi_catalog_job_abandon(cat, b, &err), 0);
    sql_text(cat, "SELECT state || ':' || attempts FROM jobs WHERE id = 2", text, sizeof text);
    ck_assert_str_eq(text, "pending:1");
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 2001, &job, &err), 1);
    ck_assert_int_eq(omsi_catalog_job_done(cat, job.id, &err), 0);
    omsi_job_free(&job);
    ck_assert_int_eq(omsi_catalog_job_state(cat, b, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_DONE);
    ck_assert_int_eq(omsi_catalog_job_state(cat, 999, &state, &err), OMSI_ERR_USAGE);
    ck_assert_str_eq(omsi_job_state_name(OMSI_JOB_QUARANTINED), "quarantined");
    omsi_catalog_close(cat);
    free(path);
}
END_TEST

/* ---- a reader while a writer records (WAL) ---- */

typedef struct probe {
    omsi_catalog *reader;
    int calls;
    int rows_seen_during_write;
    int errors;
} probe;

/* A manual ingest's job (omsi_catalog_job_start) records its owner, marked
 * manual: not listed for a daemon to wait for or kill, and kept running by
 * requeue_running while the owner lives; requeued once it is gone. */
START_TEST(manual_job_owner)
{
    omsi_catalog *cat = fresh_catalog();
    omsi_error err = {0};
    int64_t manual = 0, dead = 0;
    ck_assert_int_eq(omsi_catalog_job_start(cat, "/drop/m.hdr", NULL, &manual, &err), 0);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT owner_pid FROM jobs WHERE id = %lld", (long long)manual);
    ck_assert_int_eq(sql_int(cat, sql), getpid());
    uint64_t start = 0;
    ck_assert(omsi_proc_start_time(getpid(), &start));
    snprintf(sql, sizeof sql, "SELECT owner_start = %llu AND owner_manual = 1 FROM jobs WHERE id = %lld",
             (unsigned long long)start, (long long)manual);
    ck_assert_int_eq(sql_int(cat, sql), 1);
    omsi_job_owner *owners = NULL;
    size_t n = 9;
    ck_assert_int_eq(omsi_catalog_job_running_owners(cat, &owners, &n, &err), 0);
    ck_assert_uint_eq(n, 0);
    free(owners);
    /* Owned by a live child (as another process's ingest would be), and a
     * second one by a child that has exited. */
    pid_t live = fork();
    if (live == 0) {
        pause();
        _exit(0);
    }
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(gone, NULL, 0), gone);
    ck_assert(omsi_proc_start_time(live, &start));
    snprintf(sql, sizeof sql, "UPDATE jobs SET owner_pid = %ld, owner_start = %llu WHERE id = %lld",
             (long)live, (unsigned long long)start, (long long)manual);
    sql_exec(cat, sql);
    ck_assert_int_eq(omsi_catalog_job_start(cat, "/drop/d.hdr", NULL, &dead, &err), 0);
    snprintf(sql, sizeof sql, "UPDATE jobs SET owner_pid = %ld WHERE id = %lld", (long)gone, (long long)dead);
    sql_exec(cat, sql);
    int count = -1;
    ck_assert_int_eq(omsi_catalog_job_requeue_running(cat, &count, &err), 0);
    ck_assert_int_eq(count, 1);
    omsi_job_state state;
    ck_assert_int_eq(omsi_catalog_job_state(cat, manual, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_RUNNING);
    ck_assert_int_eq(omsi_catalog_job_state(cat, dead, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_PENDING);
    /* Once the owner is gone, its job is requeued too. */
    kill(live, SIGKILL);
    ck_assert_int_eq(waitpid(live, NULL, 0), live);
    ck_assert_int_eq(omsi_catalog_job_requeue_running(cat, &count, &err), 0);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(omsi_catalog_job_state(cat, manual, &state, &err), 0);
    ck_assert_int_eq(state, OMSI_JOB_PENDING);
    omsi_catalog_close(cat);
}
END_TEST

static int count_row(void *ctx, const omsi_query_row *r)
{
    (void)r;
    ++*(int *)ctx;
    return 0;
}

/* Called by a trigger inside the writer's open transaction. */
static void probe_reader(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc, (void)argv;
    probe *p = sqlite3_user_data(ctx);
    omsi_query q;
    memset(&q, 0, sizeof q);
    q.limit = 0;
    int rows = 0;
    bool truncated;
    omsi_error err = {0};
    if (omsi_catalog_query(p->reader, &q, count_row, &rows, &truncated, &err))
        p->errors++;
    p->calls++;
    p->rows_seen_during_write = rows;
}

START_TEST(reader_during_write)
{
    char *path = temp_path("cat.sqlite");
    omsi_catalog *writer = open_rw(path);
    omsi_convert_result r;
    result_init(&r, "/out/a.h5", "a");
    result_add(&r, "", 4, 3, 50, 100, 124.5);
    record(writer, "/data/a.hdr", "img", "aaaa", &r);
    omsi_convert_result_free(&r);
    omsi_catalog *reader = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_open(path, OMSI_CATALOG_READ_ONLY, &reader, &err), 0);
    probe p = {.reader = reader};
    sqlite3_create_function(omsi_db_sqlite_handle(writer->db), "probe_reader", 0, SQLITE_UTF8, &p, probe_reader, NULL, NULL);
    sql_exec(writer, "CREATE TEMP TRIGGER probe AFTER INSERT ON main.datasets "
                     "BEGIN SELECT probe_reader(); END");
    two_dataset_result(&r, "/out/b.h5");
    record(writer, "/data/b.imzML", "imzml", "bbbb", &r);
    omsi_convert_result_free(&r);
    ck_assert_int_eq(p.calls, 2);
    ck_assert_int_eq(p.errors, 0);
    ck_assert_int_eq(p.rows_seen_during_write, 1); /* the committed state only, not blocked */
    int rows = 0;
    bool truncated;
    omsi_query q;
    memset(&q, 0, sizeof q);
    ck_assert_int_eq(omsi_catalog_query(reader, &q, count_row, &rows, &truncated, &err), 0);
    ck_assert_int_eq(rows, 3); /* after commit */
    omsi_catalog_close(reader);
    omsi_catalog_close(writer);
    free(path);
}
END_TEST

/* ---- bad catalogs ---- */

START_TEST(bad_catalog_paths)
{
    omsi_catalog *cat = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_open("/nonexistent-dir/x/cat.sqlite", OMSI_CATALOG_READ_WRITE, &cat, &err),
                     OMSI_ERR_DB);
    ck_assert_ptr_null(cat);
    ck_assert_msg(strstr(err.message, "/nonexistent-dir/x/cat.sqlite") && strstr(err.message, "cannot open"),
                  "%s", err.message);
    char *missing = temp_path("missing.sqlite");
    omsi_error_clear(&err);
    ck_assert_int_eq(omsi_catalog_open(missing, OMSI_CATALOG_READ_ONLY, &cat, &err), OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, "missing.sqlite") && strstr(err.message, "does it exist"), "%s",
                  err.message);
    ck_assert_int_eq(access(missing, F_OK), -1); /* read-only open creates nothing */
    /* A directory is not a catalog. */
    omsi_error_clear(&err);
    ck_assert_int_eq(omsi_catalog_open(test_dir, OMSI_CATALOG_READ_WRITE, &cat, &err), OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, test_dir), "%s", err.message);
    free(missing);
}
END_TEST

START_TEST(corrupt_catalog)
{
    char *path = temp_path("corrupt.sqlite");
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 7 + 3);
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_write_file(test_dir, "corrupt.sqlite", junk, sizeof junk, &err), 0);
    omsi_catalog *cat = NULL;
    for (int mode = 0; mode < 2; mode++) {
        omsi_error_clear(&err);
        ck_assert_int_eq(omsi_catalog_open(path, (omsi_catalog_mode)mode, &cat, &err), OMSI_ERR_DB);
        ck_assert_ptr_null(cat);
        ck_assert_msg(strstr(err.message, "corrupt.sqlite") && strstr(err.message, "not an omsi-catalog"),
                      "%s", err.message);
    }
    /* The file is left as it was. */
    char *back = NULL;
    size_t len = 0;
    ck_assert_int_eq(omsi_read_small_file(path, sizeof junk + 1, &back, &len, &err), 0);
    ck_assert_uint_eq(len, sizeof junk);
    ck_assert_int_eq(memcmp(back, junk, len), 0);
    free(back);
    /* A valid catalog with its pages damaged after the header. */
    char *good = temp_path("damaged.sqlite");
    cat = open_rw(good);
    omsi_convert_result r;
    two_dataset_result(&r, "/out/b.h5");
    record(cat, "/data/b.imzML", "imzml", "bbbb", &r);
    omsi_convert_result_free(&r);
    sql_exec(cat, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE");
    omsi_catalog_close(cat);
    FILE *f = fopen(good, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 4096, SEEK_SET); /* page 2 onwards: the schema's tables */
    fwrite(junk, 1, sizeof junk, f);
    fwrite(junk, 1, sizeof junk, f);
    fclose(f);
    omsi_error_clear(&err);
    int rc = omsi_catalog_open(good, OMSI_CATALOG_READ_ONLY, &cat, &err);
    if (rc == 0) { /* the header and schema may survive: the damage shows on use */
        omsi_query q;
        memset(&q, 0, sizeof q);
        int rows = 0;
        bool truncated;
        rc = omsi_catalog_query(cat, &q, count_row, &rows, &truncated, &err);
        omsi_catalog_close(cat);
    }
    ck_assert_int_eq(rc, OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, "damaged.sqlite"), "%s", err.message);
    free(good);
    free(path);
}
END_TEST

START_TEST(read_only_catalog)
{
    char *path = temp_path("cat.sqlite");
    omsi_catalog *cat = open_rw(path);
    omsi_catalog_close(cat);
    omsi_error err = {0};
    ck_assert_int_eq(omsi_catalog_open(path, OMSI_CATALOG_READ_ONLY, &cat, &err), 0);
    /* Writes through a read-only handle fail with a clear error. */
    int64_t id;
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/x", NULL, &id, &err), OMSI_ERR_DB);
    ck_assert_msg(strstr(err.message, "cat.sqlite") && strstr(err.message, "readonly"), "%s", err.message);
    omsi_ingest_options opts = {.output_dir = test_dir, .convert = omsi_convert_options_default()};
    omsi_ingest_report rep;
    ck_assert_int_eq(omsi_ingest_path(cat, path, &opts, &rep, &err), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "read-only"), "%s", err.message);
    omsi_catalog_close(cat);
    /* A write-protected file (only meaningful when not root). */
    if (geteuid() != 0) {
        ck_assert_int_eq(chmod(path, 0444), 0);
        omsi_error_clear(&err);
        ck_assert_int_eq(omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &cat, &err), OMSI_ERR_DB);
        ck_assert_msg(strstr(err.message, "read-only") || strstr(err.message, "readonly"), "%s",
                      err.message);
        chmod(path, 0644);
    }
    free(path);
}
END_TEST

static Suite *catalog_suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("catalog");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, open_migrates_with_pragmas);
    tcase_add_test(tc, default_path_order);
    tcase_add_test(tc, newer_schema_refused);
    tcase_add_test(tc, record_exact_rows);
    tcase_add_test(tc, record_failure_leaves_nothing);
    tcase_add_test(tc, crash_mid_record_leaves_nothing);
    tcase_add_test(tc, query_every_filter);
    tcase_add_test(tc, query_min_spectra);
    tcase_add_test(tc, query_job_state);
    tcase_add_test(tc, query_parser);
    tcase_add_test(tc, query_hostile_arguments);
    tcase_add_test(tc, ingest_unchanged_and_new_version);
    tcase_add_test(tc, jobs_state_machine);
    tcase_add_test(tc, manual_job_owner);
    tcase_add_test(tc, reader_during_write);
    tcase_add_test(tc, bad_catalog_paths);
    tcase_add_test(tc, corrupt_catalog);
    tcase_add_test(tc, read_only_catalog);
    suite_add_tcase(s, tc);
    if (pg_uri) {
        TCase *pg = tcase_create("postgresql");
        tcase_add_checked_fixture(pg, setup_pg, teardown);
        tcase_set_timeout(pg, 120);
        tcase_add_test(pg, query_every_filter);
        tcase_add_test(pg, query_min_spectra);
        tcase_add_test(pg, query_job_state);
        tcase_add_test(pg, ingest_unchanged_and_new_version);
        tcase_add_test(pg, jobs_state_machine);
        tcase_add_test(pg, manual_job_owner);
        suite_add_tcase(s, pg);
    }
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
    int rc = omsi_test_run(catalog_suite(), false);
    omsi_test_pg_stop(&pg);
    return rc;
}
