/* omsi-catalog query: search datasets (or jobs) by filters. */
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "catalog/query.h"
#include "report/json_doc.h"
#include "report/query_json.h"
#include "base/omsi_escape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] query [FILTERS] [--sort FIELDS] [--count]\n"
    "                    [--json | --ndjson | --csv] [--columns LIST]\n"
    "\n"
    "List the converted datasets (one row per /entry_N/data_M) matching every\n"
    "filter, newest ingest first. Older versions of a changed source are hidden\n"
    "unless --all-versions is given.\n"
    "\n"
    "Filters:\n"
    "  --format FMT          img, imzml, mzml or bruckerflex (brukerflex too);\n"
    "                        repeatable: any of them\n"
    "  --instrument TEXT     an instrument name (metadata key or value) containing\n"
    "                        TEXT, in any case\n"
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
    "                        case-insensitive substring; repeatable: the same KEY\n"
    "                        twice matches either value, different KEYs all\n"
    "  --text WORDS          full-text search over names and metadata (all words;\n"
    "                        WORD* matches words starting with WORD)\n"
    "  --state STATE         list jobs instead: pending, running, done, failed or\n"
    "                        quarantined (with attempts and last error)\n"
    "  --limit N             at most N rows (default 100, 0 = all); --offset N skips\n"
    "  --all-versions        include superseded versions of changed sources\n"
    "\n"
    "Order: --sort FIELD[,-FIELD...] by ingested, source, dataset, path, format,\n"
    "name, mz_min, mz_max, spectra, pixels, intensity or version ('-': descending);\n"
    "ties and the default: newest ingest first.\n"
    "\n"
    "Output: an aligned table (on a terminal fitted to its width, long cells cut;\n"
    "otherwise full values); --columns LIST picks and orders the columns of the\n"
    "table and CSV: source, format, dataset, name, shape, dtype, mz, spectra,\n"
    "ingested, path, output, peak_mz, peak_intensity, coverage (jobs: job, state,\n"
    "tries, created, path, error). --count prints only the number of matches\n"
    "(--json: {\"count\": N}). --json an object {\"rows\": [...], \"truncated\": B}\n"
    "(docs/json.md); --ndjson one JSON object per row and line;\n"
    "--csv comma-separated with a header line (RFC 4180: fields with a comma,\n"
    "quote, CR or LF are quoted; a field with other control characters, such\n"
    "as tab or ESC, is quoted and escaped like the table, \\t \\e \\xNN with\n"
    "backslashes doubled; --json keeps names exact).\n"
    "When --limit cuts the table, CSV or NDJSON, a note on stderr says so.\n"
    "Catalog: --catalog FILE (before or after the command), else $OMSI_CATALOG,\n"
    "else /var/lib/omsi-catalog/catalog.sqlite.\n"
    "Exit status: 0 success (also with no rows), 1 catalog error, 2 usage error.\n";

/* The columns of the table and CSV: --columns names them. */
typedef struct column {
    const char *name, *header;
    bool by_default;
    int drop_order; /* on a narrow terminal, the highest goes first */
    bool middle, right; /* cut in the middle (paths); a number */
} column;

enum { DS_SOURCE, DS_FORMAT, DS_DATASET, DS_NAME, DS_SHAPE, DS_DTYPE, DS_MZ, DS_SPECTRA, DS_INGESTED, DS_PATH,
       DS_OUTPUT, DS_PEAK_MZ, DS_PEAK_INTENSITY, DS_COVERAGE, DS_COUNT_ };

static const column dataset_columns[DS_COUNT_] = {
    {"source", "SOURCE", true, 0, false, true},   {"format", "FORMAT", true, 0, false, false},
    {"dataset", "DATASET", true, 2, false, false}, {"name", "NAME", true, 5, true, false},
    {"shape", "SHAPE", true, 3, false, false},    {"dtype", "DTYPE", false, 8, false, false},
    {"mz", "M/Z", true, 4, false, false},         {"spectra", "SPECTRA", true, 6, false, true},
    {"ingested", "INGESTED", true, 7, false, false}, {"path", "PATH", true, 0, true, false},
    {"output", "OUTPUT", true, 0, true, false},   {"peak_mz", "PEAK M/Z", false, 0, false, true},
    {"peak_intensity", "PEAK INTENSITY", false, 0, false, true},
    {"coverage", "COVERAGE", false, 0, false, true},
};

enum { JOB_ID, JOB_STATE, JOB_TRIES, JOB_CREATED, JOB_PATH, JOB_ERROR, JOB_COUNT_ };

static const column job_columns[JOB_COUNT_] = {
    {"job", "JOB", true, 0, false, true},         {"state", "STATE", true, 0, false, false},
    {"tries", "TRIES", true, 0, false, true},     {"created", "CREATED", true, 1, false, false},
    {"path", "PATH", true, 0, true, false},       {"error", "LAST ERROR", true, 0, true, false},
};

enum { MAX_COLUMNS = 32 };

typedef struct collect {
    const omsi_query *q;
    size_t picked[MAX_COLUMNS]; /* indexes into the column list, in print order */
    size_t n_picked;
    omsi_table table;
    json_object *rows;
    int64_t n_rows;
} collect;

/* Fills c->picked from --columns (or the defaults; with --peak the peak
 * columns too). 0, or 2 after a usage message. */
static int pick_columns(collect *c, const column *cols, size_t n_cols, bool peak)
{
    const char *list = c->q->columns;
    if (!list) {
        for (size_t i = 0; i < n_cols; i++)
            if (cols[i].by_default || (peak && cols == dataset_columns && i >= DS_PEAK_MZ))
                c->picked[c->n_picked++] = i;
        return 0;
    }
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        size_t found = n_cols;
        for (size_t i = 0; i < n_cols; i++)
            if (strlen(cols[i].name) == n && strncmp(p, cols[i].name, n) == 0)
                found = i;
        if (found == n_cols || c->n_picked == MAX_COLUMNS) {
            fprintf(stderr, "omsi-catalog query: --columns: '%.*s' is not a column (", (int)(n > 40 ? 40 : n), p);
            for (size_t i = 0; i < n_cols; i++)
                fprintf(stderr, "%s%s", i ? ", " : "", cols[i].name);
            fputs(")\n", stderr);
            return 2;
        }
        c->picked[c->n_picked++] = found;
        p += n;
        if (!*p)
            return 0;
        p++;
    }
}

static void add_picked(collect *c, const char *const *cells)
{
    const char *row[MAX_COLUMNS];
    for (size_t i = 0; i < c->n_picked; i++)
        row[i] = cells[c->picked[i]];
    omsi_table_add(&c->table, row);
}

static void add_header(collect *c, const column *cols)
{
    const char *head[MAX_COLUMNS];
    for (size_t i = 0; i < c->n_picked; i++) {
        const column *col = &cols[c->picked[i]];
        head[i] = col->header;
        /* Columns named by --columns are all kept (cut, not dropped). */
        omsi_table_set_column(&c->table, i, c->q->columns ? 0 : col->drop_order, col->middle, col->right);
    }
    omsi_table_add(&c->table, head);
}

/* --ndjson: each row as it comes, one line. */
static void emit_row(collect *c, json_object *o)
{
    if (c->q->output == OMSI_OUT_NDJSON) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        json_object_array_add(c->rows, o);
    }
}

static int dataset_row(void *ctx, const omsi_query_row *r)
{
    collect *c = ctx;
    c->n_rows++;
    if (c->q->output == OMSI_OUT_JSON || c->q->output == OMSI_OUT_NDJSON) {
        /* The vocabulary of docs/json.md (the same names as check and show). */
        json_object *o = omsi_query_row_json(r);
        emit_row(c, o);
        return 0;
    }
    char ids[32], shape[96], mz[64], spectra[32], when[32];
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
    const char *cells[DS_COUNT_] = {
        [DS_SOURCE] = ids,       [DS_FORMAT] = r->format, [DS_DATASET] = r->hdf5_path,
        [DS_NAME] = r->name,     [DS_SHAPE] = shape,      [DS_DTYPE] = r->dtype,
        [DS_MZ] = mz,            [DS_SPECTRA] = spectra,  [DS_INGESTED] = when,
        [DS_PATH] = r->path,     [DS_OUTPUT] = r->output, [DS_PEAK_MZ] = peak_mz,
        [DS_PEAK_INTENSITY] = peak_int, [DS_COVERAGE] = peak_cov,
    };
    add_picked(c, cells);
    return 0;
}

static int job_row(void *ctx, const omsi_job_row *r)
{
    collect *c = ctx;
    c->n_rows++;
    if (c->q->output == OMSI_OUT_JSON || c->q->output == OMSI_OUT_NDJSON) {
        json_object *o = omsi_job_row_json(r);
        emit_row(c, o);
        return 0;
    }
    char id[32], attempts[16], when[32];
    snprintf(id, sizeof id, "%lld", (long long)r->id);
    snprintf(attempts, sizeof attempts, "%d", r->attempts);
    omsi_format_time(r->created_at, when, sizeof when);
    const char *cells[JOB_COUNT_] = {id, r->state, attempts, when, r->source_path, r->last_error};
    add_picked(c, cells);
    return 0;
}

/* --count: one number, or {"schema_version": 1, "count": N}. */
static int print_count(omsi_catalog *cat, const omsi_query *q, const omsi_cli *cli)
{
    json_object *o = NULL;
    omsi_error err = {0};
    if (omsi_query_count_json_doc(cat, q, &o, &err)) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
        return 1;
    }
    if (q->output == OMSI_OUT_JSON) {
        omsi_json_print(o, stdout);
    } else {
        json_object *n = NULL;
        json_object_object_get_ex(o, "count", &n);
        printf("%lld\n", (long long)json_object_get_int64(n));
    }
    json_object_put(o);
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
    bool jobs = q.state != NULL, truncated = false;
    collect c = {.q = &q};
    if (q.columns && (q.output == OMSI_OUT_JSON || q.output == OMSI_OUT_NDJSON)) {
        fputs("omsi-catalog query: --columns picks table and CSV columns; JSON rows have every field\n", stderr);
        return 2;
    }
    if (pick_columns(&c, jobs ? job_columns : dataset_columns, jobs ? JOB_COUNT_ : DS_COUNT_, q.has_peak))
        return 2;
    omsi_catalog *cat;
    if (omsi_open_cli_catalog(cli, OMSI_CATALOG_READ_ONLY, &cat))
        return 1;
    if (q.count) {
        int rc = print_count(cat, &q, cli);
        omsi_catalog_close(cat);
        return rc;
    }
    c.rows = json_object_new_array();
    omsi_table_init(&c.table, c.n_picked);
    add_header(&c, jobs ? job_columns : dataset_columns);
    int rc = jobs ? omsi_catalog_query_jobs(cat, &q, job_row, &c, &truncated, &err)
                  : omsi_catalog_query(cat, &q, dataset_row, &c, &truncated, &err);
    if (rc) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
    } else if (q.output == OMSI_OUT_JSON) {
        json_object *o = omsi_json_doc();
        json_object_object_add(o, "rows", json_object_get(c.rows));
        json_object_object_add(o, "truncated", json_object_new_boolean(truncated));
        omsi_json_print(o, stdout);
        json_object_put(o);
    } else {
        if (q.output == OMSI_OUT_CSV)
            omsi_table_print_csv(&c.table, stdout);
        else if (q.output == OMSI_OUT_TABLE)
            omsi_table_print(&c.table, stdout);
        /* On stderr: stdout stays the rows alone, for scripts, CSV and
         * NDJSON (which has no "truncated" member to say it). */
        if (truncated)
            fprintf(stderr, "omsi-catalog query: only the first %lld rows (--limit); raise --limit "
                    "(0 = all) or use --offset %lld\n", (long long)c.n_rows,
                    /* saturated: offset and limit may each be near INT64_MAX */
                    (long long)(q.offset > INT64_MAX - q.limit ? INT64_MAX : q.offset + q.limit));
    }
    json_object_put(c.rows);
    omsi_table_free(&c.table);
    omsi_catalog_close(cat);
    return rc ? 1 : 0;
}
