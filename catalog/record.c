#include "catalog/record.h"
#include "catalog/catalog_internal.h"

#include "base/omsi_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int omsi_catalog_find_source(omsi_catalog *cat, const char *path, const char *fingerprint,
                             int64_t *source_id, int *latest_version, omsi_error *err)
{
    omsi_db_stmt *st;
    *source_id = 0;
    *latest_version = 0;
    int rc = omsi_cat_prepare(cat,
                              "SELECT MAX(version), MAX(CASE WHEN fingerprint = ? THEN id END) "
                              "FROM sources WHERE path = ?",
                              &st, err);
    if (!rc)
        rc = omsi_cat_bind(cat, st, 1, err, "tt", fingerprint, path);
    int step = rc ? 0 : omsi_db_step(st, err);
    if (!rc && step == OMSI_DB_ROW) {
        *latest_version = (int)omsi_db_column_int64(st, 0);
        *source_id = omsi_db_column_int64(st, 1);
    } else if (!rc) {
        rc = step < 0 ? omsi_cat_fail(cat, err, "looking up the source")
                      : omsi_error_set(err, OMSI_ERR_DB, "%s: looking up the source: no row", cat->name);
    }
    omsi_db_finalize(st);
    return rc;
}

/* A statement cache for the inserts of one recording. */
typedef struct inserts {
    omsi_db_stmt *source, *supersede, *output, *experiment, *dataset, *region, *dependency,
        *metadata, *search, *job;
} inserts;

static void finalize_all(inserts *s)
{
    omsi_db_stmt **all = (omsi_db_stmt **)s;
    for (size_t i = 0; i < sizeof *s / sizeof *all; i++)
        omsi_db_finalize(all[i]);
}

static int prepare_all(omsi_catalog *cat, inserts *s, omsi_error *err)
{
    memset(s, 0, sizeof *s);
    struct {
        omsi_db_stmt **st;
        const char *sql;
    } list[] = {
        {&s->source, "INSERT INTO sources (path, format, size_bytes, n_files, fingerprint, version, "
                     "first_seen, ingested_at, n_datasets, bytes_out, host) VALUES (?, ?, ?, ?, ?, ?, "
                     "COALESCE((SELECT MIN(first_seen) FROM sources WHERE path = ?), ?), ?, ?, ?, ?) "
                     "RETURNING id"},
        {&s->supersede, "UPDATE sources SET superseded_by = ? WHERE path = ? AND id <> ? "
                        "AND superseded_by IS NULL"},
        {&s->output, "INSERT INTO output_files (source_id, path, bytes, sha256, created_at, seconds, host) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"},
        {&s->experiment, "INSERT INTO experiments (source_id, output_id, entry_index, identifier) "
                         "VALUES (?, ?, ?, ?) RETURNING id"},
        {&s->dataset, "INSERT INTO datasets (experiment_id, source_id, hdf5_path, name, source_dataset, "
                      "source_region, nx, ny, nz, n_pixels, dtype, mz_min, mz_max, spectra, "
                      "total_intensity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"},
        {&s->region, "INSERT INTO regions (dataset_id, region_index, name, x0, y0, nx, ny, spectra) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"},
        {&s->dependency, "INSERT INTO dependencies (from_dataset_id, to_dataset_id, link_name, type, help) "
                         "VALUES (?, ?, ?, ?, ?)"},
        {&s->metadata, "INSERT INTO metadata (source_id, dataset_id, collection, key, value, unit, "
                       "accession) VALUES (?, ?, ?, ?, ?, ?, ?)"},
        /* The text-search document: an fts5 row whose rowid is the source
         * id, or a row of PostgreSQL's search table (its tsvector is a
         * generated column). */
        {&s->search, omsi_cat_dialect(cat) == OMSI_DB_POSTGRESQL
                         ? "INSERT INTO search (source_id, names, metadata) VALUES (?, ?, ?)"
                         : "INSERT INTO search (rowid, names, metadata) VALUES (?, ?, ?)"},
        /* Only while the job is still this process's: a worker whose lease
         * expired and was taken over records nothing (the new owner does). */
        {&s->job, "UPDATE jobs SET state = 'done', finished_at = ?, source_id = ?, last_error = NULL, "
                  "lease_expires_at = NULL WHERE id = ? AND (owner_pid IS NULL OR host IS NULL OR "
                  "(owner_pid = ? AND host = ?))"},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        int rc = omsi_cat_prepare(cat, list[i].sql, list[i].st, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int step_done(omsi_catalog *cat, omsi_db_stmt *st, const char *what, omsi_error *err)
{
    return omsi_cat_step_done(cat, st, what, err);
}

/* Runs an INSERT ... RETURNING id; *id gets the new row's id. */
static int step_id(omsi_catalog *cat, omsi_db_stmt *st, const char *what, int64_t *id, omsi_error *err)
{
    int step = omsi_db_step(st, err);
    if (step < 0)
        return omsi_cat_fail(cat, err, what);
    if (step != OMSI_DB_ROW)
        return omsi_error_set(err, OMSI_ERR_DB, "%s: %s: no id returned", cat->name, what);
    *id = omsi_db_column_int64(st, 0);
    omsi_error ignored = {0};
    omsi_db_reset(st, &ignored);
    return 0;
}

static const char *collection_name(omsi_meta_collection c)
{
    return c == OMSI_COLL_INSTRUMENT ? "instrument" : c == OMSI_COLL_METHODS ? "methods" : "dataset";
}

/* A growing text buffer for the search document. */
typedef struct text_buf {
    char *s;
    size_t len, cap;
    bool failed;
} text_buf;

static void append(text_buf *b, const char *text)
{
    size_t n = strlen(text);
    if (b->failed || n == 0)
        return;
    if (b->len + n + 2 > b->cap) {
        size_t cap = (b->len + n + 2) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len++] = ' ';
    b->s[b->len] = '\0';
}

static int record_metadata(omsi_catalog *cat, inserts *s, int64_t source_id, int64_t dataset_id,
                           const omsi_metadata *md, text_buf *doc, omsi_error *err)
{
    for (size_t i = 0; i < md->count; i++) {
        const omsi_meta_entry *e = &md->items[i];
        char number[64];
        const char *value = e->text;
        if (e->kind == OMSI_META_INT) {
            snprintf(number, sizeof number, "%lld", (long long)e->i);
            value = number;
        } else if (e->kind == OMSI_META_FLOAT) {
            snprintf(number, sizeof number, "%.17g", e->f);
            value = number;
        }
        int rc = omsi_cat_bind(cat, s->metadata, 1, err, "iittttt", source_id, dataset_id,
                               collection_name(e->collection), e->key, value, e->unit, e->accession);
        if (!rc)
            rc = step_done(cat, s->metadata, "recording metadata", err);
        if (rc)
            return rc;
        append(doc, e->key);
        if (value)
            append(doc, value);
    }
    return 0;
}

static int record_all(omsi_catalog *cat, inserts *s, const omsi_record_source *src,
                      const omsi_convert_result *res, int version, int64_t *source_id,
                      omsi_error *err)
{
    double now = omsi_cat_now();
    int64_t sid = 0, output_id = 0;
    char host[OMSI_HOST_MAX];
    omsi_proc_host(host);
    int rc = omsi_cat_bind(cat, s->source, 1, err, "ttiititddiit", src->path, src->format,
                           (int64_t)src->size_bytes, (int64_t)src->n_files, src->fingerprint,
                           (int64_t)version, src->path, now, now, (int64_t)res->n_datasets,
                           (int64_t)res->bytes_out, host);
    if (!rc)
        rc = step_id(cat, s->source, "recording the source", &sid, err);
    if (!rc)
        rc = omsi_cat_bind(cat, s->supersede, 1, err, "iti", sid, src->path, sid);
    if (!rc)
        rc = step_done(cat, s->supersede, "marking older versions", err);
    if (!rc)
        rc = omsi_cat_bind(cat, s->output, 1, err, "ititddt", sid, res->output_path,
                           (int64_t)res->bytes_out, src->output_sha256, now, res->seconds, host);
    if (!rc)
        rc = step_id(cat, s->output, "recording the output file", &output_id, err);
    if (rc)
        return rc;
    text_buf names = {0}, meta = {0};
    append(&names, src->path);
    append(&names, src->format);
    int64_t *dataset_ids = calloc(res->n_datasets ? res->n_datasets : 1, sizeof *dataset_ids);
    if (!dataset_ids) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t e = 0; e < res->n_experiments && !rc; e++) {
        const omsi_converted_experiment *x = &res->experiments[e];
        /* N of /entry_N, as written (the first dataset of the experiment knows it). */
        size_t entry = x->n_datasets && x->first_dataset < res->n_datasets
                           ? res->datasets[x->first_dataset].entry_index
                           : e;
        int64_t experiment_id = 0;
        rc = omsi_cat_bind(cat, s->experiment, 1, err, "iiit", sid, output_id, (int64_t)entry, x->identifier);
        if (!rc)
            rc = step_id(cat, s->experiment, "recording an experiment", &experiment_id, err);
        if (rc)
            break;
        append(&names, x->identifier);
        for (size_t i = x->first_dataset; i < x->first_dataset + x->n_datasets && !rc; i++) {
            const omsi_converted_dataset *d = &res->datasets[i];
            rc = omsi_cat_bind(cat, s->dataset, 1, err, "iittiiiiiitddid", experiment_id, sid, d->hdf5_path,
                               d->is_region ? d->region.name : d->info.name, (int64_t)d->source_dataset,
                               (int64_t)d->source_region, (int64_t)d->info.nx, (int64_t)d->info.ny,
                               (int64_t)d->info.nz, (int64_t)(d->info.nx * d->info.ny),
                               omsi_dtype_name(d->info.dtype), d->mz_min, d->mz_max,
                               (int64_t)d->spectra_written, d->total_intensity);
            if (!rc)
                rc = step_id(cat, s->dataset, "recording a dataset", &dataset_ids[i], err);
            if (rc)
                break;
            if ((rc = omsi_cat_record_summaries(cat, dataset_ids[i], d, err)))
                break;
            append(&names, d->info.name);
            if (d->is_region) {
                append(&names, d->region.name);
                rc = omsi_cat_bind(cat, s->region, 1, err, "iitiiiii", dataset_ids[i], (int64_t)d->source_region,
                                   d->region.name, (int64_t)d->region.x0, (int64_t)d->region.y0,
                                   (int64_t)d->region.nx, (int64_t)d->region.ny, (int64_t)d->region.n_spectra);
                if (rc)
                    break;
                if ((rc = step_done(cat, s->region, "recording a region", err)))
                    break;
            }
            rc = record_metadata(cat, s, sid, dataset_ids[i], &d->metadata, &meta, err);
        }
    }
    /* Links after all datasets exist (targets may come later in the list). */
    for (size_t i = 0; i < res->n_datasets && !rc; i++)
        for (size_t l = 0; l < res->datasets[i].n_links && !rc; l++) {
            const omsi_converted_link *k = &res->datasets[i].links[l];
            if (k->target >= res->n_datasets)
                continue;
            rc = omsi_cat_bind(cat, s->dependency, 1, err, "iittt", dataset_ids[i], dataset_ids[k->target],
                               k->link_name, k->type, k->help);
            if (rc)
                break;
            rc = step_done(cat, s->dependency, "recording a dependency", err);
        }
    if (!rc && (names.failed || meta.failed))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (!rc) {
        rc = omsi_cat_bind_search(cat, s->search, sid, names.s ? names.s : "", meta.s ? meta.s : "", err);
        if (!rc)
        rc = step_done(cat, s->search, "indexing the source for text search", err);
    }
    if (!rc && src->job_id > 0) {
        rc = omsi_cat_bind(cat, s->job, 1, err, "diiit", now, sid, src->job_id, (int64_t)getpid(), host);
        if (!rc)
            rc = step_done(cat, s->job, "marking the job done", err);
        if (!rc && omsi_db_changes(cat->db) == 0)
            rc = omsi_error_set(err, OMSI_ERR_CANCELLED,
                                "%s: job %lld was taken over by another host (its lease expired); not recorded",
                                src->path, (long long)src->job_id);
    }
done:
    free(dataset_ids);
    free(names.s);
    free(meta.s);
    if (!rc)
        *source_id = sid;
    return rc;
}

int omsi_catalog_record(omsi_catalog *cat, const omsi_record_source *src,
                        const omsi_convert_result *res, int64_t *source_id, omsi_error *err)
{
    inserts s;
    int rc = omsi_cat_begin(cat, err);
    if (rc)
        return rc;
    int64_t existing = 0;
    int version = 0;
    rc = prepare_all(cat, &s, err);
    if (!rc)
        rc = omsi_catalog_find_source(cat, src->path, src->fingerprint, &existing, &version, err);
    if (!rc && existing)
        rc = omsi_error_set(err, OMSI_ERR_USAGE, "%s: already recorded as source %lld", src->path,
                            (long long)existing);
    if (!rc)
        rc = record_all(cat, &s, src, res, version + 1, source_id, err);
    finalize_all(&s);
    if (!rc)
        rc = omsi_cat_commit(cat, err);
    if (rc)
        omsi_cat_rollback(cat);
    return rc;
}

/* The benchmark's bulk fill (bench/): many recordings in one transaction
 * with the statements prepared once. Only for filling an empty catalog with
 * generated sources: there is no version lookup (every path must be new)
 * and the commit comes at the end, so a failure loses the whole batch. */
struct omsi_record_bulk {
    omsi_catalog *cat;
    inserts s;
};

int omsi_catalog_bulk_begin(omsi_catalog *cat, omsi_record_bulk **out, omsi_error *err)
{
    *out = NULL;
    omsi_record_bulk *b = calloc(1, sizeof *b);
    if (!b)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", cat->name);
    b->cat = cat;
    int rc = omsi_cat_begin(cat, err);
    if (!rc) {
        rc = prepare_all(cat, &b->s, err);
        if (rc) {
            finalize_all(&b->s);
            omsi_cat_rollback(cat);
        }
    }
    if (rc)
        free(b);
    else
        *out = b;
    return rc;
}

int omsi_catalog_bulk_record(omsi_record_bulk *b, const omsi_record_source *src,
                             const omsi_convert_result *res, int64_t *source_id, omsi_error *err)
{
    return record_all(b->cat, &b->s, src, res, 1, source_id, err);
}

int omsi_catalog_bulk_end(omsi_record_bulk *b, bool commit, omsi_error *err)
{
    if (!b)
        return 0;
    finalize_all(&b->s);
    int rc = commit ? omsi_cat_commit(b->cat, err) : 0;
    if (!commit || rc)
        omsi_cat_rollback(b->cat);
    free(b);
    return rc;
}
