/* Catalog benchmark: fills a catalog with N (default 100000) synthetic
 * sources (2 datasets, a region, a link and 4 metadata entries each) and
 * prints the latency of every query filter (median and p95 of 15 runs).
 *
 *   bench_catalog [N [FILE|URI [--bulk]]]
 *
 * A PostgreSQL URI must name an empty database. --bulk fills through
 * omsi_catalog_bulk_* (one transaction, statements prepared once) instead
 * of one omsi_catalog_record transaction per source. */
#include "catalog/catalog_internal.h"
#include "catalog/query.h"
#include "catalog/record.h"
#include "catalog/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const formats[] = {"img", "imzml", "mzml", "bruckerflex"};
static const char *const instruments[] = {"Orbitrap Elite", "SolariX 9.4T", "rapifleX", "Synapt G2-Si", "timsTOF fleX"};
static const char *const tissues[] = {"kidney", "liver", "brain", "tumour", "colon", "lung", "heart", "skin"};

static void fill_result(omsi_convert_result *res, uint64_t i)
{
    memset(res, 0, sizeof *res);
    res->output_path = malloc(64);
    snprintf(res->output_path, 64, "/srv/omsi/s%06llu.h5", (unsigned long long)i);
    res->n_experiments = 1;
    res->experiments = calloc(1, sizeof *res->experiments);
    snprintf(res->experiments[0].identifier, sizeof res->experiments[0].identifier, "sample_%llu", (unsigned long long)i);
    res->experiments[0].n_datasets = 2;
    res->n_datasets = 2;
    res->datasets = calloc(2, sizeof *res->datasets);
    double lo = 50 + (double)(i % 400), hi = lo + 200 + (double)(i % 1700);
    for (int d = 0; d < 2; d++) {
        omsi_converted_dataset *x = &res->datasets[d];
        omsi_meta_init(&x->metadata);
        snprintf(x->hdf5_path, sizeof x->hdf5_path, "/entry_0/data_%d", d);
        x->info.nx = 10 + i % 300;
        x->info.ny = 10 + (i * 7) % 250;
        x->info.nz = 1000 + i % 50000;
        x->info.dtype = OMSI_DT_FLOAT32;
        x->mz_min = lo;
        x->mz_max = hi;
        x->spectra_written = x->info.nx * x->info.ny;
        x->total_intensity = (double)i;
        x->source_region = d ? 0 : -1;
        x->is_region = d == 1;
        if (d)
            x->region = (omsi_region){0, 0, 5, 5, 25, "roi"};
    }
    omsi_metadata *md = &res->datasets[0].metadata;
    omsi_meta_text(md, OMSI_COLL_INSTRUMENT, "instrument model", instruments[i % 5], NULL, "MS:1000031");
    omsi_meta_text(md, OMSI_COLL_DATASET, "tissue", tissues[i % 8], NULL, NULL);
    omsi_meta_text(md, OMSI_COLL_DATASET, "polarity", i % 2 ? "positive" : "negative", NULL, NULL);
    char project[32];
    snprintf(project, sizeof project, "project-%llu", (unsigned long long)(i % 997));
    omsi_meta_text(md, OMSI_COLL_DATASET, "project", project, NULL, NULL);
    res->datasets[0].links = calloc(1, sizeof *res->datasets[0].links);
    res->datasets[0].n_links = 1;
    snprintf(res->datasets[0].links[0].link_name, 256, "msi_region_0");
    snprintf(res->datasets[0].links[0].type, 16, "contains");
    res->datasets[0].links[0].target = 1;
}

static int count_row(void *ctx, const omsi_query_row *r)
{
    (void)r;
    (*(long *)ctx)++;
    return 0;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench_query(omsi_catalog *cat, const char *label, const char *const *args)
{
    char *argv[16] = {(char *)"query"};
    int argc = 1;
    for (; args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    omsi_query q;
    bool help, truncated;
    omsi_error err = {0};
    if (omsi_query_parse(argc, argv, &q, &help, &err)) {
        fprintf(stderr, "%s: %s\n", label, err.message);
        exit(1);
    }
    enum { RUNS = 15 };
    double t[RUNS];
    long rows = 0;
    for (int i = 0; i < RUNS; i++) {
        rows = 0;
        double t0 = now();
        if (omsi_catalog_query(cat, &q, count_row, &rows, &truncated, &err)) {
            fprintf(stderr, "%s: %s\n", label, err.message);
            exit(1);
        }
        t[i] = (now() - t0) * 1e3;
    }
    qsort(t, RUNS, sizeof *t, compare);
    printf("  %-44s %8.3f ms median  %8.3f ms p95  %5ld rows%s\n", label, t[RUNS / 2], t[RUNS - 1], rows,
           truncated ? " (limit)" : "");
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    const char *path = argc > 2 ? argv[2] : "bench-catalog.sqlite";
    bool bulk = argc > 3 && strcmp(argv[3], "--bulk") == 0;
    if (!omsi_db_target_is_uri(path))
        unlink(path);
    omsi_catalog *cat;
    omsi_error err = {0};
    if (omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &cat, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    /* Filling is not what is measured: skip the per-commit fsync. */
    omsi_error ignored = {0};
    if (omsi_cat_dialect(cat) == OMSI_DB_SQLITE)
        omsi_db_exec(cat->db, "PRAGMA synchronous = OFF", &ignored);
    double t0 = now();
    omsi_record_bulk *batch = NULL;
    if (bulk && omsi_catalog_bulk_begin(cat, &batch, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    for (uint64_t i = 0; i < n; i++) {
        omsi_convert_result res;
        fill_result(&res, i);
        char spath[64], fp[65];
        snprintf(spath, sizeof spath, "/drop/run%06llu/sample.%s", (unsigned long long)i, formats[i % 4]);
        snprintf(fp, sizeof fp, "%064llx", (unsigned long long)i);
        omsi_record_source src = {.path = spath, .format = formats[i % 4], .size_bytes = 1000000 + i,
                                  .n_files = 2, .fingerprint = fp, .output_sha256 = fp};
        int64_t id;
        if (bulk ? omsi_catalog_bulk_record(batch, &src, &res, &id, &err)
                 : omsi_catalog_record(cat, &src, &res, &id, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        omsi_convert_result_free(&res);
    }
    if (bulk && omsi_catalog_bulk_end(batch, true, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double fill = now() - t0;
    omsi_db_exec(cat->db, "ANALYZE", &ignored);
    printf("catalog benchmark (%s): %llu sources (%llu datasets) recorded in %.1f s (%.0f ingests/s, %s)\n",
           omsi_cat_dialect(cat) == OMSI_DB_SQLITE ? "SQLite" : "PostgreSQL", (unsigned long long)n,
           (unsigned long long)(2 * n), fill, (double)n / fill, bulk ? "bulk: one transaction" : "one transaction each");
    bench_query(cat, "no filter (newest 100)", (const char *const[]){NULL});
    bench_query(cat, "--format mzml", (const char *const[]){"--format", "mzml", NULL});
    bench_query(cat, "--mz 445.12 (10 ppm)", (const char *const[]){"--mz", "445.12", NULL});
    bench_query(cat, "--min-pixels 60000", (const char *const[]){"--min-pixels", "60000", NULL});
    bench_query(cat, "--meta tissue=kidney", (const char *const[]){"--meta", "tissue=kidney", NULL});
    bench_query(cat, "--meta project=project-17", (const char *const[]){"--meta", "project=project-17", NULL});
    bench_query(cat, "--meta tissue~tum", (const char *const[]){"--meta", "tissue~tum", NULL});
    bench_query(cat, "--instrument solarix", (const char *const[]){"--instrument", "solarix", NULL});
    bench_query(cat, "--text tumour", (const char *const[]){"--text", "tumour", NULL});
    bench_query(cat, "--text sample_4242", (const char *const[]){"--text", "sample_4242", NULL});
    bench_query(cat, "--since 2000-01-01 --limit 1000", (const char *const[]){"--since", "2000-01-01", "--limit", "1000", NULL});
    bench_query(cat, "--format imzml --mz 300 --meta polarity=positive",
                (const char *const[]){"--format", "imzml", "--mz", "300", "--meta", "polarity=positive", NULL});
    bench_query(cat, "--meta project=project-17 --limit 0 (all rows)",
                (const char *const[]){"--meta", "project=project-17", "--limit", "0", NULL});
    double s0 = now();
    json_object *o;
    for (int i = 0; i < 15; i++) {
        if (omsi_catalog_show(cat, (int64_t)(1 + (uint64_t)i * n / 16), &o, &err) == 0)
            json_object_put(o);
    }
    printf("  %-44s %8.3f ms mean\n", "show ID", (now() - s0) / 15 * 1e3);
    s0 = now();
    if (omsi_catalog_stats(cat, &o, &err) == 0)
        json_object_put(o);
    printf("  %-44s %8.3f ms\n", "stats", (now() - s0) * 1e3);
    omsi_catalog_close(cat);
    return 0;
}
