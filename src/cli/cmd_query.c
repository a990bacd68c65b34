/* omsi-catalog query: search datasets (or jobs) by filters. */
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "catalog/query.h"
#include "base/omsi_escape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] query [FILTERS] [--json | --csv]\n"
    "\n"
    "List the converted datasets (one row per /entry_N/data_M) matching every\n"
    "filter, newest ingest first. Older versions of a changed source are hidden\n"
    "unless --all-versions is given.\n"
    "\n"
    "Filters:\n"
    "  --format FMT          img, imzml, mzml or bruckerflex\n"
    "  --instrument TEXT     instrument metadata containing TEXT (any case)\n"
    "  --since DATE          ingested at or after DATE (YYYY-MM-DD[THH:MM[:SS]], UTC,\n"
    "  --until DATE          or unix seconds); --until is exclusive\n"
    "  --mz MZ [--ppm N]     datasets whose m/z range covers MZ +- N ppm (default 10)\n"
    "  --peak MZ [--ppm N]   datasets in which that ion is present: a peak of the mean\n"
    "                        spectrum (found at conversion) within MZ +- N ppm; the\n"
    "                        matching peak's m/z, intensity and coverage are printed\n"
    "  --min-intensity X     with --peak: the peak at least X high (mean spectrum)\n"
    "  --min-coverage F      with --peak: above noise in at least a fraction F (0..1)\n"
    "                        of the dataset's spectra\n"
    "  --min-pixels N        at least N pixels (grid cells, nx * ny)\n"
    "  --min-spectra N       at least N spectra (a sparse grid has fewer spectra\n"
    "                        than pixels)\n"
    "  --meta KEY=VALUE      a metadata entry KEY equal to VALUE; KEY~TEXT for a\n"
    "                        case-insensitive substring; repeatable (all must match)\n"
    "  --text WORDS          full-text search over names and metadata (all words)\n"
    "  --state STATE         list jobs instead: pending, running, done, failed or\n"
    "                        quarantined (with attempts and last error)\n"
    "  --limit N             at most N rows (default 100, 0 = all); --offset N skips\n"
    "  --all-versions        include superseded versions of changed sources\n"
    "\n"
    "Output: an aligned table; --json an object {\"rows\": [...], \"truncated\": B};\n"
    "--csv comma-separated with a header line (RFC 4180: fields with a comma,\n"
    "quote, CR or LF are quoted; a field with other control characters, such\n"
    "as tab or ESC, is quoted and escaped like the table, \\t \\e \\xNN with\n"
    "backslashes doubled; --json keeps names exact).\n"
    "Catalog: --catalog FILE (before the command), else $OMSI_CATALOG, else\n"
    "/var/lib/omsi-catalog/catalog.sqlite.\n"
    "Exit status: 0 success (also with no rows), 1 catalog error, 2 usage error.\n";

typedef struct collect {
    const omsi_query *q;
    omsi_table table;
    json_object *rows;
} collect;

static int dataset_row(void *ctx, const omsi_query_row *r)
{
    collect *c = ctx;
    if (c->q->output == OMSI_OUT_JSON) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "source_id", json_object_new_int64(r->source_id));
        json_object_object_add(o, "dataset_id", json_object_new_int64(r->dataset_id));
        json_object_object_add(o, "path", json_object_new_string(r->path));
        json_object_object_add(o, "format", json_object_new_string(r->format));
        json_object_object_add(o, "version", json_object_new_int64(r->version));
        json_object_object_add(o, "output", json_object_new_string(r->output));
        json_object_object_add(o, "hdf5_path", json_object_new_string(r->hdf5_path));
        json_object_object_add(o, "name", json_object_new_string(r->name ? r->name : ""));
        json_object *shape = json_object_new_array();
        json_object_array_add(shape, json_object_new_int64(r->nx));
        json_object_array_add(shape, json_object_new_int64(r->ny));
        json_object_array_add(shape, json_object_new_int64(r->nz));
        json_object_object_add(o, "shape", shape);
        json_object_object_add(o, "dtype", json_object_new_string(r->dtype));
        json_object_object_add(o, "mz_min", json_object_new_double(r->mz_min));
        json_object_object_add(o, "mz_max", json_object_new_double(r->mz_max));
        json_object_object_add(o, "spectra", json_object_new_int64(r->spectra));
        json_object_object_add(o, "total_intensity", json_object_new_double(r->total_intensity));
        json_object_object_add(o, "ingested_at", json_object_new_double(r->ingested_at));
        if (r->has_peak) {
            json_object *p = json_object_new_object();
            json_object_object_add(p, "mz", json_object_new_double(r->peak_mz));
            json_object_object_add(p, "intensity", json_object_new_double(r->peak_intensity));
            json_object_object_add(p, "coverage", json_object_new_double(r->peak_coverage));
            json_object_object_add(o, "peak", p);
        }
        json_object_array_add(c->rows, o);
        return 0;
    }
    char ids[64], shape[96], mz[64], spectra[32], when[32];
    snprintf(ids, sizeof ids, "%lld", (long long)r->source_id);
    snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)r->nx, (long long)r->ny, (long long)r->nz);
    snprintf(mz, sizeof mz, "%.4f-%.4f", r->mz_min, r->mz_max);
    snprintf(spectra, sizeof spectra, "%lld", (long long)r->spectra);
    omsi_format_time(r->ingested_at, when, sizeof when);
    char peak_mz[32] = "", peak_int[32] = "", peak_cov[32] = "";
    if (r->has_peak) {
        snprintf(peak_mz, sizeof peak_mz, "%.4f", r->peak_mz);
        snprintf(peak_int, sizeof peak_int, "%.4g", r->peak_intensity);
        snprintf(peak_cov, sizeof peak_cov, "%.3f", r->peak_coverage);
    }
    const char *cells[] = {ids, r->format, r->hdf5_path, r->name, shape, r->dtype, mz, spectra, when, r->path,
                           peak_mz, peak_int, peak_cov};
    /* The peak columns come last and only with --peak. */
    if (!c->q->has_peak)
        cells[10] = cells[11] = cells[12] = NULL;
    omsi_table_add(&c->table, cells);
    return 0;
}

static int job_row(void *ctx, const omsi_job_row *r)
{
    collect *c = ctx;
    if (c->q->output == OMSI_OUT_JSON) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "job_id", json_object_new_int64(r->id));
        json_object_object_add(o, "path", json_object_new_string(r->source_path));
        json_object_object_add(o, "state", json_object_new_string(r->state));
        json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
        json_object_object_add(o, "last_error", r->last_error ? json_object_new_string(r->last_error) : NULL);
        json_object_object_add(o, "created_at", json_object_new_double(r->created_at));
        json_object_object_add(o, "next_attempt_at", json_object_new_double(r->next_attempt_at));
        json_object_object_add(o, "source_id", r->source_id ? json_object_new_int64(r->source_id) : NULL);
        json_object_array_add(c->rows, o);
        return 0;
    }
    char id[32], attempts[16], when[32];
    snprintf(id, sizeof id, "%lld", (long long)r->id);
    snprintf(attempts, sizeof attempts, "%d", r->attempts);
    omsi_format_time(r->created_at, when, sizeof when);
    const char *cells[] = {id, r->state, attempts, when, r->source_path, r->last_error};
    omsi_table_add(&c->table, cells);
    return 0;
}

int omsi_cmd_query(int argc, char **argv, const omsi_cli *cli)
{
    omsi_query q;
    bool help;
    omsi_error err = {0};
    if (omsi_query_parse(argc, argv, &q, &help, &err)) {
        fputs("omsi-catalog query: ", stderr);
        omsi_escape_fputs(err.message, stderr);
        fputc('\n', stderr);
        return 2;
    }
    if (help) {
        fputs(usage_text, stdout);
        return 0;
    }
    omsi_catalog *cat;
    if (omsi_open_cli_catalog(cli, OMSI_CATALOG_READ_ONLY, &cat))
        return 1;
    collect c = {.q = &q, .rows = json_object_new_array()};
    bool jobs = q.state != NULL, truncated = false;
    if (jobs) {
        omsi_table_init(&c.table, 6);
        const char *head[] = {"JOB", "STATE", "TRIES", "CREATED", "PATH", "LAST ERROR"};
        omsi_table_add(&c.table, head);
    } else {
        omsi_table_init(&c.table, q.has_peak ? 13 : 10);
        const char *head[] = {"SOURCE", "FORMAT", "DATASET", "NAME", "SHAPE", "DTYPE", "M/Z", "SPECTRA", "INGESTED", "PATH",
                              "PEAK M/Z", "PEAK INTENSITY", "COVERAGE"};
        omsi_table_add(&c.table, head);
    }
    int rc = jobs ? omsi_catalog_query_jobs(cat, &q, job_row, &c, &truncated, &err)
                  : omsi_catalog_query(cat, &q, dataset_row, &c, &truncated, &err);
    if (rc) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
    } else if (q.output == OMSI_OUT_JSON) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "rows", json_object_get(c.rows));
        json_object_object_add(o, "truncated", json_object_new_boolean(truncated));
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else if (q.output == OMSI_OUT_CSV) {
        omsi_table_print_csv(&c.table, stdout);
    } else {
        omsi_table_print(&c.table, stdout);
        if (truncated)
            fprintf(stdout, "(more rows: raise --limit or use --offset %lld)\n",
                    /* saturated: offset and limit may each be near INT64_MAX */
                    (long long)(q.offset > INT64_MAX - q.limit ? INT64_MAX : q.offset + q.limit));
    }
    json_object_put(c.rows);
    omsi_table_free(&c.table);
    omsi_catalog_close(cat);
    return rc ? 1 : 0;
}
