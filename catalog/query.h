/* Searching the catalog: filters, result rows, and the argument parser of
 * `omsi-catalog query` (pure: no globals, so it can be fuzzed). */
#ifndef OMSI_CATALOG_QUERY_H
#define OMSI_CATALOG_QUERY_H

#include "catalog/catalog.h"

enum { OMSI_QUERY_MAX_META = 16, OMSI_QUERY_MAX_FORMATS = 8, OMSI_QUERY_MAX_SORT = 8 };

typedef struct omsi_meta_filter {
    const char *key;
    const char *value;
    bool substring;           /* KEY~VALUE */
} omsi_meta_filter;

typedef enum omsi_query_output { OMSI_OUT_TABLE, OMSI_OUT_JSON, OMSI_OUT_CSV, OMSI_OUT_NDJSON } omsi_query_output;

/* The fields --sort takes (names in omsi_query_sort_names, in this order). */
typedef enum omsi_sort_field {
    OMSI_SORT_INGESTED, OMSI_SORT_SOURCE, OMSI_SORT_DATASET, OMSI_SORT_PATH, OMSI_SORT_FORMAT,
    OMSI_SORT_NAME, OMSI_SORT_MZ_MIN, OMSI_SORT_MZ_MAX, OMSI_SORT_SPECTRA, OMSI_SORT_PIXELS,
    OMSI_SORT_INTENSITY, OMSI_SORT_VERSION, OMSI_SORT_COUNT_
} omsi_sort_field;

extern const char *const omsi_query_sort_names[OMSI_SORT_COUNT_];

typedef struct omsi_sort_key {
    omsi_sort_field field;
    bool descending;          /* "-FIELD" */
} omsi_sort_key;

typedef struct omsi_query {
    const char *formats[OMSI_QUERY_MAX_FORMATS]; /* reader names (canonical); any may match */
    size_t n_formats;
    const char *instrument;   /* substring of an instrument metadata value */
    const char *text;         /* words, each quoted for FTS5 (no operators; "word*" a prefix) */
    const char *state;        /* job state: lists jobs instead of datasets */
    bool has_since, has_until;
    double since, until;      /* unix seconds, ingest time */
    bool has_mz;
    double mz, ppm;           /* datasets whose m/z range covers mz +- ppm */
    bool has_peak;
    double peak;              /* datasets with a peak within peak +- ppm (the peaks table) */
    double min_intensity;     /* ... at least this high in the mean spectrum */
    double min_coverage;      /* ... above noise in at least this fraction of spectra */
    int64_t min_pixels;       /* grid cells (nx * ny) */
    int64_t min_spectra;      /* spectra written (empty cells and skipped spectra not counted) */
    omsi_meta_filter meta[OMSI_QUERY_MAX_META]; /* same key: any matches; keys: all */
    size_t n_meta;
    omsi_sort_key sort[OMSI_QUERY_MAX_SORT]; /* none: newest ingest first */
    size_t n_sort;
    const char *columns;      /* --columns LIST, checked by the CLI (it owns the columns) */
    int64_t limit;            /* default 100; 0 = no limit */
    int64_t offset;
    omsi_query_output output;
    bool count;               /* --count: only the number of matching rows */
    bool all_versions;        /* include superseded versions */
} omsi_query;

/* Parses the arguments after "query" (argv[0] is "query"). Strings point
 * into argv. OMSI_ERR_USAGE with a message on a bad argument; *help set
 * when --help was given. */
int omsi_query_parse(int argc, char *const *argv, omsi_query *q, bool *help, omsi_error *err);

/* The same from one line of words separated by blanks (for fuzzing and
 * config files): line is split in place and q's strings point into it.
 * More than 64 words is OMSI_ERR_USAGE. No quoting: a value cannot hold a
 * blank. */
int omsi_query_parse_line(char *line, omsi_query *q, bool *help, omsi_error *err);

/* The reader name a format argument stands for ("brukerflex", as omsi-gen
 * spells it, is "bruckerflex"), or NULL when it names no format. The list
 * mirrors readers/registry.c, which the catalog layer cannot include. */
const char *omsi_query_format_name(const char *name);

/* "img, imzml, mzml, bruckerflex" for messages. */
extern const char omsi_query_format_list[];

/* Parses a date "YYYY-MM-DD[THH:MM[:SS]]" (UTC) or unix seconds: 0, -1 when
 * it is not of that form, -2 when the date or time does not exist
 * (2026-02-30, 25:00, a second 60). */
int omsi_query_parse_time(const char *text, double *out);

typedef struct omsi_query_row {
    int64_t source_id, dataset_id;
    const char *path, *format, *output, *hdf5_path, *name, *dtype;
    int64_t nx, ny, nz, spectra, version;
    int64_t dataset_index;    /* its number within the source, in id order (show's order) */
    double mz_min, mz_max, total_intensity, ingested_at;
    bool has_peak;            /* with --peak: the matching peak (the highest in the window) */
    double peak_mz, peak_intensity, peak_coverage;
} omsi_query_row;

typedef struct omsi_job_row {
    int64_t id, source_id;
    const char *source_path, *state, *last_error;
    int attempts;
    double created_at, next_attempt_at;
} omsi_job_row;

/* Calls row() for each matching dataset, at most q->limit; *truncated is
 * set when more rows matched. */
int omsi_catalog_query(omsi_catalog *cat, const omsi_query *q,
                       int (*row)(void *ctx, const omsi_query_row *r), void *ctx,
                       bool *truncated, omsi_error *err);

/* The number of datasets (or, with q->state, jobs) matching q, ignoring
 * its limit and offset. */
int omsi_catalog_query_count(omsi_catalog *cat, const omsi_query *q, int64_t *count, omsi_error *err);

/* Jobs in q->state (or all when NULL), newest first. */
int omsi_catalog_query_jobs(omsi_catalog *cat, const omsi_query *q,
                            int (*row)(void *ctx, const omsi_job_row *r), void *ctx,
                            bool *truncated, omsi_error *err);

#endif
