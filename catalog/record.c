#include "catalog/record.h"
#include "catalog/catalog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int omsi_catalog_find_source(omsi_catalog *cat, const char *path, const char *fingerprint,
                             int64_t *source_id, int *latest_version, omsi_error *err)
{
    sqlite3_stmt *st;
    *source_id = 0;
    *latest_version = 0;
    int rc = omsi_cat_prepare(cat,
                              "SELECT MAX(version), MAX(CASE WHEN fingerprint = ?2 THEN id END) "
                              "FROM sources WHERE path = ?1",
                              &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *latest_version = sqlite3_column_int(st, 0);
        *source_id = sqlite3_column_int64(st, 1);
    } else {
        rc = omsi_cat_fail(cat, err, "looking up the source");
    }
    sqlite3_finalize(st);
    return rc;
}

/* A statement cache for the inserts of one recording. */
typedef struct inserts {
    sqlite3_stmt *source, *supersede, *output, *experiment, *dataset, *region, *dependency,
        *metadata, *search, *job;
} inserts;

static void finalize_all(inserts *s)
{
    sqlite3_stmt **all = (sqlite3_stmt **)s;
    for (size_t i = 0; i < sizeof *s / sizeof *all; i++)
        sqlite3_finalize(all[i]);
}

static int prepare_all(omsi_catalog *cat, inserts *s, omsi_error *err)
{
    memset(s, 0, sizeof *s);
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } list[] = {
        {&s->source, "INSERT INTO sources (path, format, size_bytes, n_files, fingerprint, version, "
                     "first_seen, ingested_at, n_datasets, bytes_out) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                     "COALESCE((SELECT MIN(first_seen) FROM sources WHERE path = ?1), ?7), ?7, ?8, ?9)"},
        {&s->supersede, "UPDATE sources SET superseded_by = ?2 WHERE path = ?1 AND id <> ?2 "
                        "AND superseded_by IS NULL"},
        {&s->output, "INSERT INTO output_files (source_id, path, bytes, sha256, created_at, seconds) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
        {&s->experiment, "INSERT INTO experiments (source_id, output_id, entry_index, identifier) "
                         "VALUES (?1, ?2, ?3, ?4)"},
        {&s->dataset, "INSERT INTO datasets (experiment_id, source_id, hdf5_path, name, source_dataset, "
                      "source_region, nx, ny, nz, n_pixels, dtype, mz_min, mz_max, spectra, "
                      "total_intensity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                      "?13, ?14, ?15)"},
        {&s->region, "INSERT INTO regions (dataset_id, region_index, name, x0, y0, nx, ny, spectra) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
        {&s->dependency, "INSERT INTO dependencies (from_dataset_id, to_dataset_id, link_name, type, help) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)"},
        {&s->metadata, "INSERT INTO metadata (source_id, dataset_id, collection, key, value, unit, "
                       "accession) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
        {&s->search, "INSERT INTO search (rowid, names, metadata) VALUES (?1, ?2, ?3)"},
        {&s->job, "UPDATE jobs SET state = 'done', finished_at = ?2, source_id = ?3, last_error = NULL "
                  "WHERE id = ?1"},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        int rc = omsi_cat_prepare(cat, list[i].sql, list[i].st, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int step_done(omsi_catalog *cat, sqlite3_stmt *st, const char *what, omsi_error *err)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : omsi_cat_fail(cat, err, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
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
        sqlite3_bind_int64(s->metadata, 1, source_id);
        sqlite3_bind_int64(s->metadata, 2, dataset_id);
        sqlite3_bind_text(s->metadata, 3, collection_name(e->collection), -1, SQLITE_STATIC);
        sqlite3_bind_text(s->metadata, 4, e->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->metadata, 5, value, -1, SQLITE_STATIC);
        if (e->unit)
            sqlite3_bind_text(s->metadata, 6, e->unit, -1, SQLITE_STATIC);
        if (e->accession)
            sqlite3_bind_text(s->metadata, 7, e->accession, -1, SQLITE_STATIC);
        int rc = step_done(cat, s->metadata, "recording metadata", err);
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
    sqlite3_bind_text(s->source, 1, src->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->source, 2, src->format, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->source, 3, (int64_t)src->size_bytes);
    sqlite3_bind_int64(s->source, 4, (int64_t)src->n_files);
    sqlite3_bind_text(s->source, 5, src->fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_int(s->source, 6, version);
    sqlite3_bind_double(s->source, 7, now);
    sqlite3_bind_int64(s->source, 8, (int64_t)res->n_datasets);
    sqlite3_bind_int64(s->source, 9, (int64_t)res->bytes_out);
    int rc = step_done(cat, s->source, "recording the source", err);
    if (rc)
        return rc;
    int64_t sid = sqlite3_last_insert_rowid(cat->db);
    sqlite3_bind_text(s->supersede, 1, src->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->supersede, 2, sid);
    if ((rc = step_done(cat, s->supersede, "marking older versions", err)))
        return rc;
    sqlite3_bind_int64(s->output, 1, sid);
    sqlite3_bind_text(s->output, 2, res->output_path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->output, 3, (int64_t)res->bytes_out);
    sqlite3_bind_text(s->output, 4, src->output_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_double(s->output, 5, now);
    sqlite3_bind_double(s->output, 6, res->seconds);
    if ((rc = step_done(cat, s->output, "recording the output file", err)))
        return rc;
    int64_t output_id = sqlite3_last_insert_rowid(cat->db);
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
        sqlite3_bind_int64(s->experiment, 1, sid);
        sqlite3_bind_int64(s->experiment, 2, output_id);
        /* N of /entry_N, as written (the first dataset of the experiment knows it). */
        size_t entry = x->n_datasets && x->first_dataset < res->n_datasets
                           ? res->datasets[x->first_dataset].entry_index
                           : e;
        sqlite3_bind_int64(s->experiment, 3, (int64_t)entry);
        sqlite3_bind_text(s->experiment, 4, x->identifier, -1, SQLITE_STATIC);
        if ((rc = step_done(cat, s->experiment, "recording an experiment", err)))
            break;
        int64_t experiment_id = sqlite3_last_insert_rowid(cat->db);
        append(&names, x->identifier);
        for (size_t i = x->first_dataset; i < x->first_dataset + x->n_datasets && !rc; i++) {
            const omsi_converted_dataset *d = &res->datasets[i];
            sqlite3_stmt *st = s->dataset;
            sqlite3_bind_int64(st, 1, experiment_id);
            sqlite3_bind_int64(st, 2, sid);
            sqlite3_bind_text(st, 3, d->hdf5_path, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, d->is_region ? d->region.name : d->info.name, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 5, (int64_t)d->source_dataset);
            sqlite3_bind_int64(st, 6, d->source_region);
            sqlite3_bind_int64(st, 7, (int64_t)d->info.nx);
            sqlite3_bind_int64(st, 8, (int64_t)d->info.ny);
            sqlite3_bind_int64(st, 9, (int64_t)d->info.nz);
            sqlite3_bind_int64(st, 10, (int64_t)(d->info.nx * d->info.ny));
            sqlite3_bind_text(st, 11, omsi_dtype_name(d->info.dtype), -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 12, d->mz_min);
            sqlite3_bind_double(st, 13, d->mz_max);
            sqlite3_bind_int64(st, 14, (int64_t)d->spectra_written);
            sqlite3_bind_double(st, 15, d->total_intensity);
            if ((rc = step_done(cat, st, "recording a dataset", err)))
                break;
            dataset_ids[i] = sqlite3_last_insert_rowid(cat->db);
            if ((rc = omsi_cat_record_summaries(cat, dataset_ids[i], d, err)))
                break;
            append(&names, d->info.name);
            if (d->is_region) {
                append(&names, d->region.name);
                sqlite3_bind_int64(s->region, 1, dataset_ids[i]);
                sqlite3_bind_int64(s->region, 2, d->source_region);
                sqlite3_bind_text(s->region, 3, d->region.name, -1, SQLITE_STATIC);
                sqlite3_bind_int64(s->region, 4, (int64_t)d->region.x0);
                sqlite3_bind_int64(s->region, 5, (int64_t)d->region.y0);
                sqlite3_bind_int64(s->region, 6, (int64_t)d->region.nx);
                sqlite3_bind_int64(s->region, 7, (int64_t)d->region.ny);
                sqlite3_bind_int64(s->region, 8, (int64_t)d->region.n_spectra);
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
            sqlite3_bind_int64(s->dependency, 1, dataset_ids[i]);
            sqlite3_bind_int64(s->dependency, 2, dataset_ids[k->target]);
            sqlite3_bind_text(s->dependency, 3, k->link_name, -1, SQLITE_STATIC);
            sqlite3_bind_text(s->dependency, 4, k->type, -1, SQLITE_STATIC);
            sqlite3_bind_text(s->dependency, 5, k->help, -1, SQLITE_STATIC);
            rc = step_done(cat, s->dependency, "recording a dependency", err);
        }
    if (!rc && (names.failed || meta.failed))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (!rc) {
        sqlite3_bind_int64(s->search, 1, sid);
        sqlite3_bind_text(s->search, 2, names.s ? names.s : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(s->search, 3, meta.s ? meta.s : "", -1, SQLITE_STATIC);
        rc = step_done(cat, s->search, "indexing the source for text search", err);
    }
    if (!rc && src->job_id > 0) {
        sqlite3_bind_int64(s->job, 1, src->job_id);
        sqlite3_bind_double(s->job, 2, now);
        sqlite3_bind_int64(s->job, 3, sid);
        rc = step_done(cat, s->job, "marking the job done", err);
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
    int rc = omsi_cat_exec(cat, "BEGIN IMMEDIATE", err);
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
        rc = omsi_cat_exec(cat, "COMMIT", err);
    if (rc)
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
