/* Catalog queries: filters -> one SQL statement with bound values. */
#include "catalog/query.h"
#include "catalog/catalog_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL under construction and its bound values, in order. */
typedef struct sql_builder {
    char sql[4096];
    size_t len;
    struct {
        enum { BIND_TEXT, BIND_DOUBLE, BIND_INT } kind;
        const char *text;
        double d;
        int64_t i;
    } binds[64];
    int n_binds;
    char *owned[64]; /* copies of texts given with a length */
    int n_owned;
    bool overflow, nomem;
    omsi_db_dialect dialect;
} sql_builder;

static void builder_init(sql_builder *b, omsi_db_dialect dialect)
{
    memset(b, 0, sizeof *b);
    b->dialect = dialect;
}

static void builder_free(sql_builder *b)
{
    for (int i = 0; i < b->n_owned; i++)
        free(b->owned[i]);
    b->n_owned = 0;
}

static void add(sql_builder *b, const char *text)
{
    size_t n = strlen(text);
    if (b->len + n + 1 > sizeof b->sql) {
        b->overflow = true;
        return;
    }
    memcpy(b->sql + b->len, text, n + 1);
    b->len += n;
}

static bool room(sql_builder *b)
{
    if (b->n_binds < (int)(sizeof b->binds / sizeof b->binds[0]))
        return true;
    b->overflow = true;
    return false;
}

static void bind_text(sql_builder *b, const char *text, int len)
{
    if (!room(b))
        return;
    if (len >= 0) {
        /* The interface binds NUL-terminated text: a copy of the part. */
        char *copy = b->n_owned < (int)(sizeof b->owned / sizeof b->owned[0]) ? strndup(text, (size_t)len) : NULL;
        if (!copy) {
            b->nomem = true;
            return;
        }
        b->owned[b->n_owned++] = copy;
        text = copy;
    }
    b->binds[b->n_binds].kind = BIND_TEXT;
    b->binds[b->n_binds].text = text;
    b->n_binds++;
}

static void bind_double(sql_builder *b, double d)
{
    if (!room(b))
        return;
    b->binds[b->n_binds].kind = BIND_DOUBLE;
    b->binds[b->n_binds++].d = d;
}

static void bind_int(sql_builder *b, int64_t i)
{
    if (!room(b))
        return;
    b->binds[b->n_binds].kind = BIND_INT;
    b->binds[b->n_binds++].i = i;
}

static int prepare_bound(omsi_catalog *cat, sql_builder *b, omsi_db_stmt **st, omsi_error *err)
{
    *st = NULL;
    if (b->nomem)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (b->overflow)
        return omsi_error_set(err, OMSI_ERR_USAGE, "query too complex");
    int rc = omsi_cat_prepare(cat, b->sql, st, err);
    for (int i = 0; i < b->n_binds && !rc; i++) {
        switch (b->binds[i].kind) {
        case BIND_TEXT: rc = omsi_cat_bind(cat, *st, i + 1, err, "t", b->binds[i].text); break;
        case BIND_DOUBLE: rc = omsi_cat_bind(cat, *st, i + 1, err, "d", b->binds[i].d); break;
        case BIND_INT: rc = omsi_cat_bind(cat, *st, i + 1, err, "i", b->binds[i].i); break;
        }
    }
    return rc;
}

/* "col LIKE ?" for a like_pattern: SQLite's LIKE is case-insensitive for
 * ASCII (and keeps its index plans); PostgreSQL's is not, so there both
 * sides are lowered. */
static void add_like(sql_builder *b, const char *column)
{
    if (b->dialect == OMSI_DB_POSTGRESQL) {
        add(b, "lower(");
        add(b, column);
        add(b, ") LIKE lower(?) ESCAPE '\\'");
    } else {
        add(b, column);
        add(b, " LIKE ? ESCAPE '\\'");
    }
}

/* FTS5 query from free words: each word quoted, so punctuation in user
 * input cannot form FTS syntax; words are ANDed. A word ending in '*' is a
 * prefix query ("kid*" -> "kid"*, kidney, kids); a '*' elsewhere is text. */
static char *fts_query(const char *words)
{
    size_t n = strlen(words);
    char *out = malloc(3 * n + 8);
    if (!out)
        return NULL;
    size_t o = 0;
    const char *p = words;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (o)
            out[o++] = ' ';
        out[o++] = '"';
        size_t n_word = strcspn(p, " \t");
        bool prefix = n_word > 1 && p[n_word - 1] == '*';
        const char *word_end = p + n_word - (prefix ? 1 : 0);
        while (p < word_end) {
            if (*p == '"')
                out[o++] = '"';
            out[o++] = *p++;
        }
        out[o++] = '"';
        if (prefix) {
            out[o++] = '*';
            p++;
        }
    }
    /* No word at all (the parser refuses that; a caller may not): the
     * empty phrase matches nothing, where an empty query is an error. */
    if (o == 0) {
        out[o++] = '"';
        out[o++] = '"';
    }
    out[o] = '\0';
    return out;
}

/* "%text%" for LIKE ... ESCAPE '\\': the user's %, _ and \\ match themselves.
 * LIKE is case-insensitive for ASCII, like lower() without ICU, and needs
 * no allocation per row. */
static char *like_pattern(const char *text, int len)
{
    size_t n = len < 0 ? strlen(text) : (size_t)len;
    char *out = malloc(2 * n + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '%';
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
            out[o++] = '\\';
        out[o++] = text[i];
    }
    out[o++] = '%';
    out[o] = '\0';
    return out;
}

/* Whether the m/z and pixel filters alone match fewer than a few thousand
 * datasets (counted from their indexes, stopping at the threshold). Then
 * the plan starts from those indexes and sorts the few matches; otherwise
 * it walks datasets newest first and stops after limit + 1 matches, which
 * is faster than sorting many. */
enum { SELECTIVE_BELOW = 2000 };

static bool selective_dataset_filter(omsi_catalog *cat, const omsi_query *q)
{
    /* PostgreSQL's planner weighs the indexes by its statistics itself. */
    if (omsi_cat_dialect(cat) == OMSI_DB_POSTGRESQL)
        return true;
    omsi_db_stmt *st = NULL;
    omsi_error ignored = {0};
    if (omsi_db_prepare(cat->db,
                        "SELECT COUNT(*) FROM (SELECT 1 FROM datasets WHERE (? = 0 OR (mz_min <= ? "
                        "AND mz_max >= ?)) AND n_pixels >= ? LIMIT ?) AS t",
                        &st, &ignored))
        return false;
    double tol = q->mz * q->ppm * 1e-6;
    bool selective = omsi_cat_bind(cat, st, 1, &ignored, "iddii", (int64_t)q->has_mz, q->mz + tol,
                                   q->mz - tol, (int64_t)q->min_pixels, (int64_t)SELECTIVE_BELOW) == 0 &&
                     omsi_db_step(st, &ignored) == OMSI_DB_ROW &&
                     omsi_db_column_int64(st, 0) < SELECTIVE_BELOW;
    omsi_db_finalize(st);
    return selective;
}

static void limit_clause(sql_builder *b, const omsi_query *q)
{
    /* One row more than asked tells whether the result was truncated. */
    add(b, " LIMIT ? OFFSET ?");
    /* (INT64_MAX is "no limit" as well: limit + 1 would overflow.) */
    bind_int(b, q->limit > 0 && q->limit < INT64_MAX ? q->limit + 1 : INT64_MAX);
    bind_int(b, q->offset);
}

static const char *column_text(omsi_db_stmt *st, int i)
{
    return omsi_db_column_text(st, i);
}

/* SQL of the ORDER BY fields (omsi_sort_field order). */
static const char *const sort_sql[OMSI_SORT_COUNT_] = {
    "s.ingested_at", "s.id", "d.id", "s.path", "s.format", "d.name",
    "d.mz_min", "d.mz_max", "d.spectra", "d.n_pixels", "d.total_intensity", "s.version",
};

/* What a dataset query allocates for its bound values. */
typedef struct query_strings {
    char *fts;
    char *patterns[2 + OMSI_QUERY_MAX_META];
    size_t n_patterns;
} query_strings;

static void query_strings_free(query_strings *qs)
{
    free(qs->fts);
    for (size_t i = 0; i < qs->n_patterns; i++)
        free(qs->patterns[i]);
}

static const char *pattern(query_strings *qs, const char *text)
{
    char *p = like_pattern(text, -1);
    if (p)
        qs->patterns[qs->n_patterns++] = p;
    return p;
}

/* Builds the dataset query into b: the rows, or with count their number.
 * 0, or OMSI_ERR_NOMEM. */
static int build_dataset_query(omsi_catalog *cat, const omsi_query *q, bool count, sql_builder *b,
                               query_strings *qs)
{
    if (count)
        add(b, "SELECT COUNT(*) FROM (");
    add(b, "SELECT s.id, d.id, s.path, s.format, o.path, d.hdf5_path, d.name, d.dtype, d.nx, d.ny, "
            "d.nz, d.spectra, s.version, d.mz_min, d.mz_max, d.total_intensity, s.ingested_at");
    /* The dataset's number within its source (the --dataset of image and
     * spectrum); a count does not need it. */
    add(b, count ? ", 0" : ", (SELECT COUNT(*) FROM datasets d2 WHERE d2.source_id = d.source_id AND d2.id < d.id)");
    if (q->has_peak) {
        /* The peaks in the window come from the m/z index (a handful of
         * rows even at 100k datasets x 500 peaks); the highest of each
         * dataset is its match (SQLite takes the bare columns from the
         * MAX row). The joins then follow primary keys. */
        double tol = q->peak * q->ppm * 1e-6;
        if (b->dialect == OMSI_DB_POSTGRESQL)
            /* No bare columns there: the strongest row of each dataset.
             * Plain JOIN: CROSS JOIN ... ON (SQLite's loop-order hint) is
             * a syntax error in PostgreSQL. */
            add(b, ", p.mz, p.intensity, p.coverage FROM (SELECT DISTINCT ON (dataset_id) dataset_id, mz, "
                    "intensity, coverage FROM peaks WHERE mz BETWEEN ? AND ? AND intensity >= ? AND "
                    "coverage >= ? ORDER BY dataset_id, intensity DESC, id) p JOIN datasets d ON "
                    "d.id = p.dataset_id JOIN sources s ON s.id = d.source_id ");
        else
            add(b, ", p.mz, p.intensity, p.coverage FROM (SELECT dataset_id, mz, MAX(intensity) AS "
                    "intensity, coverage FROM peaks WHERE mz BETWEEN ? AND ? AND intensity >= ? AND "
                    "coverage >= ? GROUP BY dataset_id) p CROSS JOIN datasets d ON d.id = p.dataset_id "
                    "JOIN sources s ON s.id = d.source_id ");
        bind_double(b, q->peak - tol);
        bind_double(b, q->peak + tol);
        bind_double(b, q->min_intensity);
        bind_double(b, q->min_coverage);
    } else {
        /* The planner picks the loop order: sources newest first by id
         * (a LIMIT stops the walk early, no sort) unless an index makes a
         * filter selective (see selective_dataset_filter). */
        add(b, ", NULL, NULL, NULL FROM sources s JOIN datasets d ON d.source_id = s.id ");
    }
    add(b, "JOIN experiments e ON e.id = d.experiment_id "
            "JOIN output_files o ON o.id = e.output_id WHERE 1 = 1");
    if (!q->all_versions)
        add(b, " AND s.superseded_by IS NULL");
    if (q->n_formats) {
        add(b, " AND s.format IN (");
        for (size_t i = 0; i < q->n_formats; i++) {
            add(b, i ? ", ?" : "?");
            bind_text(b, q->formats[i], -1);
        }
        add(b, ")");
    }
    if (q->has_since) {
        add(b, " AND s.ingested_at >= ?");
        bind_double(b, q->since);
    }
    if (q->has_until) {
        add(b, " AND s.ingested_at < ?");
        bind_double(b, q->until);
    }
    /* A unary + keeps SQLite from driving the plan by that index. */
    bool selective = (q->has_mz || q->min_pixels > 0) && selective_dataset_filter(cat, q);
    if (q->has_mz) {
        double tol = q->mz * q->ppm * 1e-6;
        add(b, selective ? " AND d.mz_min <= ? AND d.mz_max >= ?" : " AND +d.mz_min <= ? AND +d.mz_max >= ?");
        bind_double(b, q->mz + tol);
        bind_double(b, q->mz - tol);
    }
    if (q->min_pixels > 0) {
        add(b, selective ? " AND d.n_pixels >= ?" : " AND +d.n_pixels >= ?");
        bind_int(b, q->min_pixels);
    }
    if (q->min_spectra > 0) {
        add(b, " AND d.spectra >= ?");
        bind_int(b, q->min_spectra);
    }
    if (q->instrument) {
        /* IN (subquery) rather than a correlated EXISTS: the matching
         * sources come from the covering (collection, value, source_id)
         * index in one pass. The instrument's name is the value
         * ("instrument model" = "LTQ Orbitrap") or, for a controlled-
         * vocabulary term without a value, the key (the readers store the
         * value "true"): the second branch seeks those flag rows alone, as
         * a key LIKE over all rows needs a table lookup each (10x slower at
         * 20k datasets). LIKE is case-insensitive for ASCII. */
        const char *like = pattern(qs, q->instrument);
        if (!like)
            return OMSI_ERR_NOMEM;
        add(b, " AND s.id IN (SELECT m.source_id FROM metadata m WHERE m.collection = 'instrument' AND ");
        add_like(b, "m.value");
        add(b, " UNION ALL SELECT m.source_id FROM metadata m WHERE "
                "m.collection = 'instrument' AND m.value IN ('true', '') AND ");
        add_like(b, "m.key");
        add(b, ")");
        bind_text(b, like, -1);
        bind_text(b, like, -1);
    }
    /* Filters with the same key are alternatives (OR), keys are ANDed: one
     * subquery per distinct key, at its first filter. */
    for (size_t i = 0; i < q->n_meta; i++) {
        const omsi_meta_filter *m = &q->meta[i];
        int key_len = (int)(m->value - 1 - m->key);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = (int)(q->meta[j].value - 1 - q->meta[j].key) == key_len &&
                   memcmp(q->meta[j].key, m->key, (size_t)key_len) == 0;
        if (seen)
            continue;
        /* Answered from the covering (key, value, source_id) index. */
        add(b, " AND s.id IN (SELECT m.source_id FROM metadata m WHERE m.key = ? AND (");
        bind_text(b, m->key, key_len);
        for (size_t j = i; j < q->n_meta; j++) {
            const omsi_meta_filter *o = &q->meta[j];
            if ((int)(o->value - 1 - o->key) != key_len || memcmp(o->key, m->key, (size_t)key_len) != 0)
                continue;
            if (j != i)
                add(b, " OR ");
            if (o->substring) {
                const char *like = pattern(qs, o->value);
                if (!like)
                    return OMSI_ERR_NOMEM;
                add_like(b, "m.value");
                bind_text(b, like, -1);
            } else {
                add(b, "m.value = ?");
                bind_text(b, o->value, -1);
            }
        }
        add(b, "))");
    }
    if (q->text) {
        bool pg = b->dialect == OMSI_DB_POSTGRESQL;
        qs->fts = pg ? omsi_cat_pg_tsquery(q->text) : fts_query(q->text);
        if (!qs->fts)
            return OMSI_ERR_NOMEM;
        if (pg && !qs->fts[0]) {
            add(b, " AND 1 = 0"); /* no word: matches nothing, as the empty fts5 phrase */
        } else {
            add(b, pg ? " AND s.id IN (SELECT source_id FROM search WHERE tsv @@ to_tsquery('simple', ?))"
                      : " AND s.id IN (SELECT rowid FROM search WHERE search MATCH ?)");
            bind_text(b, qs->fts, -1);
        }
    }
    if (count) {
        add(b, ") AS t");
        return 0;
    }
    /* Source ids are given in ingest order, so "newest first" is id order:
     * a walk of the primary key that stops after limit + 1 rows. --sort
     * fields come first, this order breaks their ties. */
    add(b, " ORDER BY ");
    for (size_t i = 0; i < q->n_sort; i++) {
        add(b, sort_sql[q->sort[i].field]);
        add(b, q->sort[i].descending ? " DESC, " : " ASC, ");
    }
    add(b, "s.id DESC, d.id");
    limit_clause(b, q);
    return 0;
}

/* Runs a COUNT(*) statement. */
static int run_count(omsi_catalog *cat, sql_builder *b, int64_t *count, omsi_error *err)
{
    omsi_db_stmt *st = NULL;
    int rc = prepare_bound(cat, b, &st, err);
    if (!rc) {
        int step = omsi_db_step(st, err);
        if (step == OMSI_DB_ROW)
            *count = omsi_db_column_int64(st, 0);
        else
            rc = step < 0 ? omsi_cat_fail(cat, err, "query")
                          : omsi_error_set(err, OMSI_ERR_DB, "%s: query: no count", cat->name);
    }
    omsi_db_finalize(st);
    return rc;
}

static void build_jobs_query(const omsi_query *q, bool count, sql_builder *b);

int omsi_catalog_query_count(omsi_catalog *cat, const omsi_query *q, int64_t *count, omsi_error *err)
{
    sql_builder b;
    builder_init(&b, omsi_cat_dialect(cat));
    query_strings qs = {0};
    *count = 0;
    int rc = 0;
    if (q->state)
        build_jobs_query(q, true, &b);
    else if (build_dataset_query(cat, q, true, &b, &qs))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = run_count(cat, &b, count, err);
    query_strings_free(&qs);
    builder_free(&b);
    return rc;
}

int omsi_catalog_query(omsi_catalog *cat, const omsi_query *q,
                       int (*row)(void *ctx, const omsi_query_row *r), void *ctx,
                       bool *truncated, omsi_error *err)
{
    sql_builder b;
    builder_init(&b, omsi_cat_dialect(cat));
    query_strings qs = {0};
    *truncated = false;
    if (build_dataset_query(cat, q, false, &b, &qs)) {
        query_strings_free(&qs);
        builder_free(&b);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    omsi_db_stmt *st = NULL;
    int rc = prepare_bound(cat, &b, &st, err);
    int64_t count = 0;
    while (!rc) {
        int step = omsi_db_step(st, err);
        if (step == OMSI_DB_DONE)
            break;
        if (step < 0) {
            rc = omsi_cat_fail(cat, err, "query");
            break;
        }
        if (q->limit > 0 && count == q->limit) {
            *truncated = true;
            break;
        }
        omsi_query_row r = {
            .source_id = omsi_db_column_int64(st, 0), .dataset_id = omsi_db_column_int64(st, 1),
            .path = column_text(st, 2), .format = column_text(st, 3), .output = column_text(st, 4),
            .hdf5_path = column_text(st, 5), .name = column_text(st, 6), .dtype = column_text(st, 7),
            .nx = omsi_db_column_int64(st, 8), .ny = omsi_db_column_int64(st, 9),
            .nz = omsi_db_column_int64(st, 10), .spectra = omsi_db_column_int64(st, 11),
            .version = omsi_db_column_int64(st, 12), .mz_min = omsi_db_column_double(st, 13),
            .mz_max = omsi_db_column_double(st, 14), .total_intensity = omsi_db_column_double(st, 15),
            .ingested_at = omsi_db_column_double(st, 16), .dataset_index = omsi_db_column_int64(st, 17),
            .has_peak = !omsi_db_column_is_null(st, 18),
            .peak_mz = omsi_db_column_double(st, 18), .peak_intensity = omsi_db_column_double(st, 19),
            .peak_coverage = omsi_db_column_double(st, 20),
        };
        count++;
        rc = row(ctx, &r);
    }
    omsi_db_finalize(st);
    query_strings_free(&qs);
    builder_free(&b);
    return rc;
}

static void build_jobs_query(const omsi_query *q, bool count, sql_builder *b)
{
    add(b, count ? "SELECT COUNT(*) FROM jobs WHERE 1 = 1"
                 : "SELECT id, source_path, state, attempts, last_error, created_at, next_attempt_at, "
                   "COALESCE(source_id, 0) FROM jobs WHERE 1 = 1");
    if (q->state) {
        add(b, " AND state = ?");
        bind_text(b, q->state, -1);
    }
    if (q->has_since) {
        add(b, " AND created_at >= ?");
        bind_double(b, q->since);
    }
    if (q->has_until) {
        add(b, " AND created_at < ?");
        bind_double(b, q->until);
    }
    if (count)
        return;
    add(b, " ORDER BY id DESC");
    limit_clause(b, q);
}

int omsi_catalog_query_jobs(omsi_catalog *cat, const omsi_query *q,
                            int (*row)(void *ctx, const omsi_job_row *r), void *ctx,
                            bool *truncated, omsi_error *err)
{
    sql_builder b;
    builder_init(&b, omsi_cat_dialect(cat));
    build_jobs_query(q, false, &b);
    omsi_db_stmt *st = NULL;
    int rc = prepare_bound(cat, &b, &st, err);
    int64_t count = 0;
    *truncated = false;
    while (!rc) {
        int step = omsi_db_step(st, err);
        if (step == OMSI_DB_DONE)
            break;
        if (step < 0) {
            rc = omsi_cat_fail(cat, err, "query");
            break;
        }
        if (q->limit > 0 && count == q->limit) {
            *truncated = true;
            break;
        }
        omsi_job_row r = {
            .id = omsi_db_column_int64(st, 0), .source_path = column_text(st, 1),
            .state = column_text(st, 2), .attempts = (int)omsi_db_column_int64(st, 3),
            .last_error = column_text(st, 4), .created_at = omsi_db_column_double(st, 5),
            .next_attempt_at = omsi_db_column_double(st, 6), .source_id = omsi_db_column_int64(st, 7),
        };
        count++;
        rc = row(ctx, &r);
    }
    omsi_db_finalize(st);
    builder_free(&b);
    return rc;
}
