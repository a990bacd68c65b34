/* Catalog query benchmark: fills a catalog with N synthetic datasets (one
 * source each, with metadata and a job) through the real recording code,
 * then prints the latency of each `omsi-catalog query` filter (median and
 * p95 over R runs with varying values, in milliseconds).
 *
 *   bench_catalog_filters [--datasets N] [--peaks P] [--runs R] [--catalog FILE|URI] [--keep] [--bulk]
 *
 * --catalog takes a PostgreSQL URI as well (the database must be empty or
 * hold an earlier run's catalog). --bulk fills through the bulk path
 * (omsi_catalog_bulk_*: one transaction, statements prepared once) and adds
 * the jobs and peaks by two INSERT ... SELECT statements afterwards, with
 * the same distribution (a job per source, every 50th failed, every 100th
 * quarantined; P peaks in each dataset's m/z range, deterministic values);
 * without it every dataset goes through omsi_catalog_record and
 * omsi_catalog_job_enqueue one transaction each, as an ingest does
 * (~1000/s, too slow for 1M datasets).
 *
 * Each dataset gets P peaks (default 500) at random m/z in its range, so
 * `query --peak` runs against N x P rows of the peaks index.
 *
 * Performance is printed, never asserted. */
#include "base/omsi_util.h"
#include "catalog/catalog_internal.h"
#include "catalog/query.h"
#include "catalog/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const formats[] = {"img", "imzml", "mzml", "bruckerflex"};
static const char *const instruments[] = {"Bruker solariX", "Thermo Orbitrap Elite", "Waters Synapt G2",
                                          "Bruker ultrafleXtreme", "AB Sciex 5800"};
static const char *const organs[] = {"brain", "kidney", "liver", "heart", "lung", "spleen", "tumor"};
static const char *const species[] = {"mouse", "rat", "human", "zebrafish"};

/* A small deterministic generator (no global state). */
static uint32_t next_random(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static double now_ms(void) { return omsi_monotonic_seconds() * 1e3; }

/* The jobs and peaks of a bulk fill, in SQL both dialects read alike. */
static int bulk_jobs_and_peaks(omsi_catalog *cat, long n_peaks, omsi_error *err)
{
    int rc = omsi_cat_exec(cat,
                           "INSERT INTO jobs (source_path, format, state, attempts, last_error, created_at, "
                           "finished_at, source_id) SELECT path, format, "
                           "CASE WHEN (id - 1) % 100 = 7 THEN 'quarantined' WHEN (id - 1) % 50 = 7 THEN 'failed' "
                           "ELSE 'done' END, CASE WHEN (id - 1) % 50 = 7 THEN 1 ELSE 0 END, "
                           "CASE WHEN (id - 1) % 50 = 7 THEN 'synthetic failure' END, ingested_at, ingested_at, "
                           "CASE WHEN (id - 1) % 50 = 7 THEN NULL ELSE id END FROM sources ORDER BY id",
                           err);
    if (rc || n_peaks <= 0)
        return rc;
    char sql[1024];
    /* Pseudo-random but deterministic: integer hashes of (dataset, k). */
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < %ld) "
             "INSERT INTO peaks (dataset_id, mz, intensity, coverage) SELECT d.id, "
             "d.mz_min + (d.mz_max - d.mz_min) * CAST((d.id * 7919 + k.n * 104729) %% 1000003 AS DOUBLE PRECISION) "
             "/ 1000003.0, CAST(1 + (d.id * 31 + k.n * 17) %% 10000 AS DOUBLE PRECISION), "
             "CAST((d.id * 13 + k.n * 7) %% 1001 AS DOUBLE PRECISION) / 1000.0 FROM datasets d CROSS JOIN k",
             n_peaks);
    rc = omsi_cat_exec(cat, sql, err);
    if (!rc) {
        snprintf(sql, sizeof sql, "UPDATE datasets SET analysis_path = '/entry_0/analysis_0', n_peaks = %ld",
                 n_peaks);
        rc = omsi_cat_exec(cat, sql, err);
    }
    return rc;
}

static int fill(omsi_catalog *cat, long n, long n_peaks, bool bulk, omsi_error *err)
{
    omsi_record_bulk *batch = NULL;
    if (bulk) {
        int rc = omsi_catalog_bulk_begin(cat, &batch, err);
        if (rc)
            return rc;
    }
    uint32_t rnd = 12345;
    omsi_peak *peaks = calloc((size_t)(n_peaks > 0 ? n_peaks : 1), sizeof *peaks);
    if (!peaks)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    double t0 = now_ms();
    for (long i = 0; i < n; i++) {
        omsi_convert_result r;
        memset(&r, 0, sizeof r);
        omsi_converted_experiment x;
        memset(&x, 0, sizeof x);
        omsi_converted_dataset d;
        memset(&d, 0, sizeof d);
        char out[64], path[96], fp[65], sample[64], sample_id[32];
        snprintf(out, sizeof out, "/out/run%06ld.h5", i);
        snprintf(path, sizeof path, "/drop/%s/run%06ld", species[i % 4], i);
        snprintf(fp, sizeof fp, "%064lx", i);
        snprintf(x.identifier, sizeof x.identifier, "run%06ld", i);
        r.output_path = out;
        r.experiments = &x;
        r.n_experiments = 1;
        r.datasets = &d;
        r.n_datasets = 1;
        r.bytes_out = 1000000 + i;
        x.n_datasets = 1;
        snprintf(d.hdf5_path, sizeof d.hdf5_path, "/entry_0/data_0");
        d.source_region = -1;
        d.info.nx = 10 + next_random(&rnd) % 300;
        d.info.ny = 10 + next_random(&rnd) % 300;
        d.info.nz = 1000 + next_random(&rnd) % 100000;
        d.info.dtype = OMSI_DT_FLOAT32;
        d.mz_min = 50 + next_random(&rnd) % 1000;
        d.mz_max = d.mz_min + 50 + next_random(&rnd) % 1500;
        d.spectra_written = d.info.nx * d.info.ny;
        d.total_intensity = 1e6;
        for (long k = 0; k < n_peaks; k++) {
            peaks[k].mz = d.mz_min + (d.mz_max - d.mz_min) * (next_random(&rnd) % 1000000) / 1e6;
            peaks[k].intensity = 1 + next_random(&rnd) % 10000;
            peaks[k].coverage = (next_random(&rnd) % 1001) / 1000.0;
        }
        if (n_peaks > 0 && !bulk) {
            snprintf(d.analysis_path, sizeof d.analysis_path, "/entry_0/analysis_0");
            d.peaks = peaks;
            d.n_peaks = (size_t)n_peaks;
        }
        const char *organ = organs[next_random(&rnd) % 7];
        snprintf(sample, sizeof sample, "%s %s section %u", species[i % 4], organ, next_random(&rnd) % 50);
        snprintf(sample_id, sizeof sample_id, "S%06ld", i);
        omsi_meta_init(&d.metadata);
        int rc = omsi_meta_text(&d.metadata, OMSI_COLL_INSTRUMENT, "instrument_name",
                                instruments[next_random(&rnd) % 5], NULL, "MS:1000031");
        rc |= omsi_meta_text(&d.metadata, OMSI_COLL_DATASET, "sample", sample, NULL, NULL);
        rc |= omsi_meta_text(&d.metadata, OMSI_COLL_DATASET, "sample_id", sample_id, NULL, NULL);
        rc |= omsi_meta_text(&d.metadata, OMSI_COLL_DATASET, "operator",
                             (next_random(&rnd) & 1) ? "alice" : "bob", NULL, NULL);
        rc |= omsi_meta_float(&d.metadata, OMSI_COLL_METHODS, "pixel_size", 10 + i % 40, "um", NULL);
        rc |= omsi_meta_int(&d.metadata, OMSI_COLL_DATASET, "spectra", (int64_t)d.spectra_written, NULL, NULL);
        if (rc) {
            omsi_meta_free(&d.metadata);
            free(peaks);
            omsi_catalog_bulk_end(batch, false, err);
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        }
        int64_t job_id = 0, source_id = 0;
        if (bulk) {
            omsi_record_source src = {.path = path, .format = formats[i % 4], .size_bytes = 2000000 + (uint64_t)i,
                                      .n_files = 2, .fingerprint = fp, .output_sha256 = "00"};
            rc = omsi_catalog_bulk_record(batch, &src, &r, &source_id, err);
            omsi_meta_free(&d.metadata);
            if (rc) {
                free(peaks);
                omsi_catalog_bulk_end(batch, false, err);
                return rc;
            }
            if ((i + 1) % 100000 == 0)
                fprintf(stderr, "  %ld datasets recorded (%.0f/s)\n", i + 1, (i + 1) / ((now_ms() - t0) / 1e3));
            continue;
        }
        rc = omsi_catalog_job_enqueue(cat, path, NULL, &job_id, err);
        omsi_record_source src = {.path = path, .format = formats[i % 4], .size_bytes = 2000000 + (uint64_t)i,
                                  .n_files = 2, .fingerprint = fp, .output_sha256 = "00",
                                  .job_id = i % 50 == 7 ? 0 : job_id};
        if (!rc)
            rc = omsi_catalog_record(cat, &src, &r, &source_id, err);
        if (!rc && i % 50 == 7) /* a few failed and quarantined jobs */
            rc = omsi_catalog_job_fail(cat, job_id, "synthetic failure", 1e9, i % 100 == 7 ? 1 : 5, 60, err);
        omsi_meta_free(&d.metadata);
        if (rc) {
            free(peaks);
            return rc;
        }
        if ((i + 1) % 20000 == 0)
            fprintf(stderr, "  %ld datasets recorded (%.0f/s)\n", i + 1, (i + 1) / ((now_ms() - t0) / 1e3));
    }
    free(peaks);
    if (bulk) {
        int rc = omsi_catalog_bulk_end(batch, true, err);
        if (!rc)
            fprintf(stderr, "  bulk: %ld sources in %.1f s (%.0f/s); adding jobs and peaks\n", n,
                    (now_ms() - t0) / 1e3, n / ((now_ms() - t0) / 1e3));
        if (!rc)
            rc = bulk_jobs_and_peaks(cat, n_peaks, err);
        if (rc)
            return rc;
    }
    /* Spread the ingest times over five years (2021-2025) for --since/--until. */
    return omsi_cat_exec(cat,
                         "UPDATE sources SET ingested_at = 1609459200 + (id * 1576.8), first_seen = "
                         "1609459200 + (id * 1576.8); ANALYZE;",
                         err);
}

static int count_row(void *ctx, const omsi_query_row *r)
{
    (void)r;
    ++*(long *)ctx;
    return 0;
}

static int count_job(void *ctx, const omsi_job_row *r)
{
    (void)r;
    ++*(long *)ctx;
    return 0;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One filter: argument template with %u replaced by a varying number. */
typedef struct bench_case {
    const char *label;
    const char *args; /* space-separated; "%u" gets a per-run value */
    unsigned modulo;  /* range of that value */
    unsigned base;
} bench_case;

static int run_case(omsi_catalog *cat, const bench_case *c, int runs, omsi_error *err)
{
    double *ms = calloc((size_t)runs, sizeof *ms);
    if (!ms)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    long total_rows = 0;
    int truncated_runs = 0;
    int rc = 0;
    uint32_t rnd = 777;
    for (int run = 0; run < runs && !rc; run++) {
        char buf[320], expanded[256];
        unsigned value = c->base + (c->modulo ? next_random(&rnd) % c->modulo : 0);
        /* The templates are ours and hold at most one %u. */
        const char *mark = strstr(c->args, "%u");
        if (mark)
            snprintf(expanded, sizeof expanded, "%.*s%u%s", (int)(mark - c->args), c->args, value, mark + 2);
        else
            snprintf(expanded, sizeof expanded, "%s", c->args);
        snprintf(buf, sizeof buf, "query %s", expanded);
        char *argv[32];
        int argc = 0;
        for (char *tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " "))
            argv[argc++] = tok;
        for (int i = 1; i < argc; i++) /* "+" stands for a space inside a value */
            for (char *p = argv[i]; *p; p++)
                if (*p == '+')
                    *p = ' ';
        omsi_query q;
        bool help, truncated = false;
        rc = omsi_query_parse(argc, argv, &q, &help, err);
        if (rc)
            break;
        long rows = 0;
        double t0 = now_ms();
        rc = q.state ? omsi_catalog_query_jobs(cat, &q, count_job, &rows, &truncated, err)
                     : omsi_catalog_query(cat, &q, count_row, &rows, &truncated, err);
        ms[run] = now_ms() - t0;
        total_rows += rows;
        truncated_runs += truncated;
    }
    if (!rc) {
        qsort(ms, (size_t)runs, sizeof *ms, compare_double);
        size_t p95 = (size_t)((runs - 1) * 0.95 + 0.5);
        printf("%-34s %9.3f %9.3f %9.1f %6d/%d\n", c->label, ms[runs / 2], ms[p95],
               (double)total_rows / runs, truncated_runs, runs);
    }
    free(ms);
    return rc;
}

int main(int argc, char **argv)
{
    long n = 100000, n_peaks = 500;
    int runs = 50;
    const char *path = NULL;
    bool keep = false, bulk = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--datasets") == 0 && i + 1 < argc)
            n = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--peaks") == 0 && i + 1 < argc)
            n_peaks = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--catalog") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[i], "--bulk") == 0)
            bulk = true;
        else {
            fprintf(stderr, "usage: bench_catalog_filters [--datasets N] [--peaks P] [--runs R] [--catalog FILE|URI] [--keep] [--bulk]\n");
            return 2;
        }
    }
    if (n < 1 || runs < 1)
        return 2;
    char tmpl[] = "/tmp/omsi-bench-catalog-XXXXXX";
    char default_path[64];
    if (!path) {
        if (!mkdtemp(tmpl)) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(default_path, sizeof default_path, "%s/catalog.sqlite", tmpl);
        path = default_path;
    }
    omsi_error err = {0};
    omsi_catalog *cat = NULL;
    int rc = omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &cat, &err);
    if (!rc) {
        /* Filling is not what is measured: no fsync per recorded source. */
        if (omsi_cat_dialect(cat) == OMSI_DB_SQLITE)
            rc = omsi_cat_exec(cat, "PRAGMA synchronous = OFF", &err);
    }
    double t0 = now_ms();
    omsi_db_stmt *st = NULL;
    long existing = 0;
    if (!rc && omsi_db_prepare(cat->db, "SELECT COUNT(*) FROM datasets", &st, &err) == 0 &&
        omsi_db_step(st, &err) == OMSI_DB_ROW)
        existing = (long)omsi_db_column_int64(st, 0);
    omsi_db_finalize(st);
    if (!rc && existing > 0) {
        n = existing; /* --catalog FILE of an earlier --keep run: reuse it */
        rc = omsi_cat_exec(cat, "ANALYZE", &err);
    } else if (!rc) {
        fprintf(stderr, "filling %s with %ld datasets...\n", path, n);
        /* Filling is set-up, not what is measured: no fsync per ingest. */
        if (omsi_cat_dialect(cat) == OMSI_DB_SQLITE)
            rc = omsi_cat_exec(cat, "PRAGMA synchronous = OFF", &err);
        if (!rc)
            rc = fill(cat, n, n_peaks, bulk, &err);
    }
    if (rc) {
        fprintf(stderr, "bench_catalog_filters: %s\n", err.message);
        omsi_catalog_close(cat);
        return 1;
    }
    printf("catalog (%s): %ld datasets (one source each, 6 metadata entries, a job, %ld peaks), filled in %.1f s%s\n",
           omsi_cat_dialect(cat) == OMSI_DB_SQLITE ? "SQLite" : "PostgreSQL", n, n_peaks, (now_ms() - t0) / 1e3,
           bulk ? " (bulk)" : "");
    omsi_catalog_close(cat);
    /* Queries go through a fresh read-only connection, as `omsi-catalog query` does. */
    rc = omsi_catalog_open(path, OMSI_CATALOG_READ_ONLY, &cat, &err);
    static const bench_case cases[] = {
        {"(no filter)", "", 0, 0},
        {"--format imzml", "--format imzml", 0, 0},
        {"--instrument orbitrap", "--instrument orbitrap", 0, 0},
        {"--since/--until (30 days)", "--since 1650000000 --until 1652592000", 0, 0},
        {"--mz M", "--mz %u", 1900, 60},
        {"--mz M --ppm 5", "--mz %u.123 --ppm 5", 1900, 60},
        {"--min-pixels 85000 (rare)", "--min-pixels 85000", 0, 0},
        {"--min-pixels N (varied)", "--min-pixels %u", 90000, 100},
        {"--meta sample_id=S0xxxxx", "--meta sample_id=S0%u", 90000, 10000},
        {"--meta sample~kidney", "--meta sample~kidney", 0, 0},
        {"--meta sample~section+N (rare)", "--meta sample~section+%u", 50, 0},
        {"--text liver", "--text liver", 0, 0},
        {"--text S0xxxxx (one hit)", "--text S0%u", 90000, 10000},
        {"--state quarantined", "--state quarantined", 0, 0},
        {"--state failed", "--state failed", 0, 0},
        {"--peak M --ppm 5", "--peak %u.4321 --ppm 5", 1900, 60},
        {"--peak M (10 ppm) --min-coverage 0.9", "--peak %u.4321 --min-coverage 0.9", 1900, 60},
        {"--peak M --min-intensity 9000 --limit 0", "--peak %u.4321 --min-intensity 9000 --limit 0", 1900, 60},
        {"--offset 50000", "--offset 50000", 0, 0},
        {"--limit 0 (all rows)", "--limit 0", 0, 0},
        {"combined (format, mz, meta, text)", "--format mzml --mz %u --meta operator=alice --text mouse", 1500,
         100},
    };
    if (!rc) {
        printf("%-34s %9s %9s %9s %9s\n", "filter (limit 100 unless said)", "median_ms", "p95_ms", "rows",
               "truncated");
        for (size_t i = 0; i < sizeof cases / sizeof cases[0] && !rc; i++) {
            rc = run_case(cat, &cases[i], runs, &err);
        }
    }
    omsi_catalog_close(cat);
    if (rc)
        fprintf(stderr, "bench_catalog_filters: %s\n", err.message);
    if (!keep && path == default_path) {
        char side[96];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
        rmdir(tmpl);
    }
    return rc ? 1 : 0;
}
