/* mzML reader (spec section 3): one dataset per scan type (filter string,
 * else ms level), MSn -> MS(n-1) dependencies by ms level with BASTet's link
 * names, positions from IMS params, spotID or Bruker R..X..Y.. ids; without
 * positions (LC-MS files) one row, one pixel per spectrum of the type, as
 * the issue asks. Each type has an exact union m/z axis (default) or ppm
 * bins. Two streaming passes: the first indexes spectra and builds the
 * axes, each iteration re-reads the file decoding only its type's arrays. */
#include "readers/mzml_parse.h"
#include "readers/ppm_axis.h"
#include "readers/sorted_union.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const omsi_format omsi_format_mzml;

enum { DEFAULT_MAX_AXIS = 1 << 24, MAX_TYPES = 4096, MAX_LINKS = 64 };

typedef struct mzml_type {
    char key[512];
    mzml_spectrum first;            /* parameters of the first spectrum (no arrays) */
    uint64_t n_spectra;
    bool any_f64_mz, any_f64_int;
    sorted_union axis;
    double lo, hi, log_step;        /* ppm bins */
    uint64_t nz;
    double *mz;
    uint64_t mz_arrays, mz_unsorted; /* of the exact union: arrays added, of those unsorted */
    omsi_dependency deps[MAX_LINKS];
    size_t n_deps;
} mzml_type;

typedef struct spectrum_entry {
    uint32_t type;
    uint32_t ordinal;               /* position among its type's spectra */
    int64_t x, y;
} spectrum_entry;

typedef struct mzml_reader {
    omsi_reader base;
    omsi_open_options opts;
    char *path;
    mzml_type *types;
    size_t n_types;
    spectrum_entry *spectra;
    size_t n_spectra;
    bool imaging, binned;
    uint64_t n_skipped;              /* empty spectra (zero points), left out */
    omsi_checksum_state checksum;    /* indexed mzML fileChecksum, verified by the first pass */
    char skipped_ids[512];           /* the first of their ids, comma-separated */
    int64_t min_x, min_y;
    uint64_t nx, ny;
    size_t selected;
    /* iteration */
    mzml_parser parser;
    bool parser_open;
    size_t next;
    mzml_spectrum current;
    double *accumulate;
    void *out;
    omsi_metadata metadata;
} mzml_reader;

/* Skipped spectra named in the metadata; the rest are counted. */
enum { MAX_SKIPPED_IDS = 10 };

static const omsi_format *self(void) { return &omsi_format_mzml; }

/* ---- classification ---- */

static omsi_validity mzml_is_valid(const char *path, omsi_error *why)
{
    omsi_error scratch = {0};
    if (!why)
        why = &scratch;
    if (!omsi_has_suffix_ci(path, ".mzML") || !omsi_is_regular_file(path)) {
        omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: not a .mzML file", path);
        return OMSI_NOT_THIS_FORMAT;
    }
    char *stem = omsi_strip_suffix_ci(path, ".mzML");
    char *ibd = stem ? malloc(strlen(stem) + 5) : NULL;
    bool has_ibd = false;
    if (ibd) {
        sprintf(ibd, "%s.ibd", stem);
        has_ibd = omsi_is_regular_file(ibd);
    }
    free(stem);
    free(ibd);
    omsi_xml *x = NULL;
    if (omsi_xml_open(path, &x, why))
        return OMSI_BROKEN;
    omsi_validity v = OMSI_VALID;
    bool root = false, imaging_terms = false;
    int rc;
    while ((rc = omsi_xml_next(x, why)) == 1) {
        if (xmlTextReaderNodeType(x->reader) != XML_READER_TYPE_ELEMENT)
            continue;
        if (!root) {
            const xmlChar *ns = xmlTextReaderConstNamespaceUri(x->reader);
            root = (omsi_xml_is_start(x, "mzML") || omsi_xml_is_start(x, "indexedmzML")) && ns &&
                   strcmp((const char *)ns, "http://psi.hupo.org/ms/mzml") == 0;
            if (!root)
                break;
        }
        if (omsi_xml_is_start(x, "cvParam")) {
            char *acc = omsi_xml_attr(x, "accession");
            imaging_terms |= acc && (strcmp(acc, "IMS:1000080") == 0 || strcmp(acc, "IMS:1000030") == 0 ||
                                     strcmp(acc, "IMS:1000031") == 0);
            free(acc);
        }
        if (omsi_xml_is_start(x, "run"))
            break;
    }
    omsi_xml_close(x);
    if (rc < 0)
        return OMSI_BROKEN; /* why holds the parser's message (DTD, bad XML) */
    if (!root) {
        omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: root element is not PSI mzML", path);
        return rc < 0 ? OMSI_BROKEN : OMSI_NOT_THIS_FORMAT;
    }
    if (imaging_terms || has_ibd) {
        omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: an imzML document (read it with the imzml format)", path);
        return OMSI_NOT_THIS_FORMAT;
    }
    if (rc < 0)
        return OMSI_BROKEN;
    /* Still being written? A complete document ends with its root end tag. */
    uint64_t size = 0;
    char tail[256] = "";
    FILE *f = fopen(path, "rb");
    if (f && omsi_file_size(path, &size, why) == 0) {
        long back = size < sizeof tail - 1 ? (long)size : (long)sizeof tail - 1;
        if (fseek(f, -back, SEEK_END) == 0) {
            size_t n = fread(tail, 1, (size_t)back, f);
            tail[n] = '\0';
        }
    }
    if (f)
        fclose(f);
    if (!strstr(tail, "</mzML>") && !strstr(tail, "</indexedmzML>")) {
        omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: does not end with </mzML> (still being written?)", path);
        v = OMSI_INCOMPLETE;
    }
    return v;
}

static int mzml_list_files(const char *path, omsi_path_list *files, omsi_error *err)
{
    return omsi_path_list_add(files, path) ? omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory") : 0;
}

/* ---- the first pass ---- */

static void type_key(const mzml_spectrum *s, char *key, size_t size)
{
    if (s->filter[0])
        snprintf(key, size, "%s", s->filter);
    else
        snprintf(key, size, "ms%d", s->ms_level);
}

static int add_spectrum_entry(mzml_reader *r, size_t *cap, spectrum_entry e, omsi_error *err)
{
    if (r->n_spectra == *cap) {
        size_t n = *cap ? 2 * *cap : 256;
        spectrum_entry *p = realloc(r->spectra, n * sizeof *p);
        if (!p)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for the spectrum index");
        r->spectra = p;
        *cap = n;
    }
    r->spectra[r->n_spectra++] = e;
    return 0;
}

/* The fileChecksum verdict of the first pass (which reads every byte
 * anyway): recorded in the metadata; a mismatch is a warning, or an error
 * with strict_checksums. */
static int verify_checksum(mzml_reader *r, omsi_xml *x, omsi_error *err)
{
    int state;
    char actual[41], expected[41];
    int rc = omsi_xml_file_checksum(x, &state, actual, expected, err);
    if (rc)
        return rc;
    r->checksum = (omsi_checksum_state)state; /* a metadata entry of every selection (mzml_metadata) */
    if (r->checksum != OMSI_CHECKSUM_MISMATCH)
        return 0;
    if (r->opts.strict_checksums)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: SHA-1 is %s, but its fileChecksum says '%s' (--strict-checksums)",
                              r->path, actual, expected);
    omsi_log(r->opts.log, OMSI_LOG_WARNING, "%s: SHA-1 is %s, but its fileChecksum says '%s'", r->path, actual,
             expected);
    return 0;
}

static int first_pass(mzml_reader *r, omsi_error *err)
{
    mzml_parser p;
    int rc = mzml_parser_open_checksummed(&p, r->path, r->opts.memory_limit, err);
    if (rc)
        return rc;
    mzml_spectrum s;
    memset(&s, 0, sizeof s);
    size_t cap = 0;
    bool all_positions = true;
    uint64_t limit = r->opts.max_axis_points ? r->opts.max_axis_points : DEFAULT_MAX_AXIS;
    /* the axis union: its values, pending runs of half as many, a merge copy: 24 bytes a point */
    uint64_t budget_points = omsi_budget_limit(r->opts.memory_limit) / 24;
    limit = budget_points < limit ? budget_points : limit;
    while ((rc = mzml_next_spectrum(&p, &s, true, err)) == 1) {
        if (s.mz.count == 0) { /* empty spectra carry nothing to a cube: counted and named */
            size_t used = strlen(r->skipped_ids);
            if (r->n_skipped++ < MAX_SKIPPED_IDS && used + strlen(s.id) + 3 < sizeof r->skipped_ids)
                snprintf(r->skipped_ids + used, sizeof r->skipped_ids - used, "%s%s", used ? ", " : "", s.id);
            continue;
        }
        char key[512];
        type_key(&s, key, sizeof key);
        size_t t = 0;
        while (t < r->n_types && strcmp(r->types[t].key, key) != 0)
            t++;
        if (t == r->n_types) {
            if (r->n_types == MAX_TYPES) {
                rc = omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: more than %d scan types", r->path, MAX_TYPES);
                break;
            }
            mzml_type *n = realloc(r->types, (r->n_types + 1) * sizeof *n);
            if (!n) {
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
                break;
            }
            r->types = n;
            mzml_type *ty = &r->types[r->n_types++];
            memset(ty, 0, sizeof *ty);
            snprintf(ty->key, sizeof ty->key, "%s", key);
            ty->first = s;
            ty->first.mz = (mzml_array){0};
            ty->first.intensity = (mzml_array){0};
            sorted_union_init(&ty->axis, limit);
            ty->lo = INFINITY;
            ty->hi = -INFINITY;
        }
        mzml_type *ty = &r->types[t];
        for (size_t k = 0; k < s.mz.count; k++)
            if (!isfinite(s.mz.values[k]) || s.mz.values[k] < 0) {
                rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: m/z value %g", r->path, s.id,
                                    s.mz.values[k]);
                break;
            }
        if (rc < 0)
            break;
        if (r->opts.axis_mode == OMSI_AXIS_BIN_PPM) {
            for (size_t k = 0; k < s.mz.count; k++) {
                ty->lo = s.mz.values[k] < ty->lo ? s.mz.values[k] : ty->lo;
                ty->hi = s.mz.values[k] > ty->hi ? s.mz.values[k] : ty->hi;
            }
        } else {
            sorted_union_add(&ty->axis, s.mz.values, s.mz.count);
            if (ty->axis.overflow || ty->axis.failed) {
                rc = omsi_error_set(err, ty->axis.failed ? OMSI_ERR_NOMEM : OMSI_ERR_UNSUPPORTED,
                                    "%s: scan type '%s' has more than %llu distinct m/z values; use a ppm axis "
                                    "(--axis ppm:N) or raise --max-axis",
                                    r->path, key, (unsigned long long)limit);
                break;
            }
        }
        ty->any_f64_mz |= s.mz.float64;
        ty->any_f64_int |= s.intensity.float64;
        all_positions &= s.has_position;
        spectrum_entry e = {.type = (uint32_t)t, .ordinal = (uint32_t)ty->n_spectra, .x = s.x, .y = s.y};
        if (!s.has_position)
            e.x = e.y = -1;
        ty->n_spectra++;
        if ((rc = add_spectrum_entry(r, &cap, e, err)))
            break;
    }
    /* the file-level instrument terms become metadata */
    for (size_t i = 0; rc >= 0 && i < p.instrument.count; i++) {
        const omsi_cv_param *c = &p.instrument.items[i];
        omsi_meta_text(&r->metadata, OMSI_COLL_INSTRUMENT, c->name && c->name[0] ? c->name : c->accession,
                       c->value[0] ? c->value : "true", NULL, c->accession);
    }
    if (rc < 0)
        omsi_xml_prefer_parse_error(p.x, err);
    if (rc >= 0)
        rc = verify_checksum(r, p.x, err);
    mzml_spectrum_free(&s);
    mzml_parser_close(&p);
    if (rc < 0)
        return rc;
    if (r->n_spectra == 0)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: no non-empty spectra", r->path);
    r->imaging = all_positions;
    return 0;
}

/* Index of spectrum i in the iteration order (every spectrum, empty ones
 * excluded) is kept by the second pass counting the same way. */

static int plan_axes(mzml_reader *r, omsi_error *err)
{
    for (size_t t = 0; t < r->n_types; t++) {
        mzml_type *ty = &r->types[t];
        if (r->opts.axis_mode == OMSI_AXIS_BIN_PPM) {
            double ppm = r->opts.ppm > 0 ? r->opts.ppm : 5;
            if (!(ty->lo > 0))
                return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: scan type '%s' has m/z %g; ppm bins need m/z > 0",
                                      r->path, ty->key, ty->lo);
            ty->log_step = log1p(ppm * 1e-6);
            double bins = floor(log(ty->hi / ty->lo) / ty->log_step) + 1;
            uint64_t limit = r->opts.max_axis_points ? r->opts.max_axis_points : DEFAULT_MAX_AXIS;
            if (bins > (double)limit)
                return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: %.0f bins of %g ppm exceed %llu", r->path, bins,
                                      ppm, (unsigned long long)limit);
            ty->nz = (uint64_t)bins;
            ty->mz = malloc((size_t)ty->nz * sizeof *ty->mz);
            if (!ty->mz)
                return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            for (uint64_t k = 0; k < ty->nz; k++)
                ty->mz[k] = ty->lo * exp((double)k * ty->log_step); /* lower edges (readers/ppm_axis.h) */
        } else {
            if (!sorted_union_finish(&ty->axis))
                return omsi_error_set(err, ty->axis.failed ? OMSI_ERR_NOMEM : OMSI_ERR_UNSUPPORTED,
                                      "%s: scan type '%s': m/z axis too large", r->path, ty->key);
            ty->mz = ty->axis.values;
            ty->nz = ty->axis.count;
            ty->mz_arrays = ty->axis.arrays;
            ty->mz_unsorted = ty->axis.unsorted;
            ty->axis.values = NULL;
            sorted_union_free(&ty->axis);
        }
    }
    r->binned = r->opts.axis_mode == OMSI_AXIS_BIN_PPM;
    return 0;
}

/* MSn datasets link to MS(n-1) ("MS1", "MS1_1", ...); parents link back
 * with BASTet's "MS2_<filter after ms2>" names (spec 9). */
static void add_dep(mzml_type *owner, const char *name, size_t target, const char *help)
{
    if (owner->n_deps == MAX_LINKS)
        return;
    char unique[256];
    snprintf(unique, sizeof unique, "%s", name);
    for (int k = 1;; k++) {
        bool taken = false;
        for (size_t i = 0; i < owner->n_deps; i++)
            taken |= strcmp(owner->deps[i].link_name, unique) == 0;
        if (!taken)
            break;
        snprintf(unique, sizeof unique, "%s_%d", name, k);
    }
    omsi_dependency *d = &owner->deps[owner->n_deps++];
    memset(d, 0, sizeof *d);
    snprintf(d->link_name, sizeof d->link_name, "%s", unique);
    d->dataset = (long)target;
    d->region = -2;
    snprintf(d->type, sizeof d->type, "co_modality");
    snprintf(d->help, sizeof d->help, "%.255s", help);
}

static void plan_dependencies(mzml_reader *r)
{
    for (size_t c = 0; c < r->n_types; c++) {
        mzml_type *child = &r->types[c];
        int n = child->first.ms_level;
        if (n < 2)
            continue;
        for (size_t p = 0; p < r->n_types; p++) {
            mzml_type *parent = &r->types[p];
            if (parent->first.ms_level != n - 1)
                continue;
            char name[256];
            snprintf(name, sizeof name, "MS%d", n - 1);
            add_dep(child, name, p, parent->key);
            /* "MS2_" + the filter text after "ms2", trimmed, spaces as '_' */
            char level[16];
            snprintf(level, sizeof level, "ms%d", n);
            const char *rest = strstr(child->first.filter, level);
            char tail[200] = "";
            if (rest) {
                rest += strlen(level);
                while (*rest == ' ')
                    rest++;
                snprintf(tail, sizeof tail, "%s", rest);
                size_t len = strlen(tail);
                while (len && tail[len - 1] == ' ')
                    tail[--len] = '\0';
                for (char *q = tail; *q; q++)
                    if (*q == ' ')
                        *q = '_';
            } else {
                snprintf(tail, sizeof tail, "%zu", c);
            }
            snprintf(name, sizeof name, "MS%d_%s", n, tail);
            add_dep(parent, name, c, parent->key);
        }
    }
}

static omsi_dtype cube_dtype(const mzml_reader *r, const mzml_type *t);

static int plan_grid(mzml_reader *r, omsi_error *err)
{
    if (!r->imaging)
        return 0;
    int64_t max_x = INT64_MIN, max_y = INT64_MIN;
    r->min_x = r->min_y = INT64_MAX;
    for (size_t i = 0; i < r->n_spectra; i++) {
        const spectrum_entry *e = &r->spectra[i];
        r->min_x = e->x < r->min_x ? e->x : r->min_x;
        r->min_y = e->y < r->min_y ? e->y : r->min_y;
        max_x = e->x > max_x ? e->x : max_x;
        max_y = e->y > max_y ? e->y : max_y;
    }
    r->nx = (uint64_t)(max_x - r->min_x) + 1;
    r->ny = (uint64_t)(max_y - r->min_y) + 1;
    if (r->nx > (1u << 20) || r->ny > (1u << 20))
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: positions span %llu x %llu pixels", r->path,
                              (unsigned long long)r->nx, (unsigned long long)r->ny);
    for (size_t t = 0; t < r->n_types; t++) {
        const mzml_type *ty = &r->types[t];
        int rc = omsi_reader_check_grid(r->path, r->nx, r->ny, ty->nz, omsi_dtype_size(cube_dtype(r, ty)),
                                        r->n_spectra, r->opts.memory_limit, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- reader ops ---- */

static size_t mzml_n_datasets(omsi_reader *base) { return ((mzml_reader *)base)->n_types; }

static void stop_iteration(mzml_reader *r)
{
    if (r->parser_open)
        mzml_parser_close(&r->parser);
    r->parser_open = false;
    r->next = 0;
}

static int mzml_select(omsi_reader *base, size_t i, omsi_error *err)
{
    mzml_reader *r = (mzml_reader *)base;
    if (i >= r->n_types)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: dataset %zu does not exist (%zu scan types)", r->path, i,
                              r->n_types);
    stop_iteration(r);
    r->selected = i;
    char what[600];
    snprintf(what, sizeof what, "scan type '%s' (%llu m/z values)", r->types[i].key,
             (unsigned long long)r->types[i].nz);
    int rc = omsi_budget_check(r->opts.memory_limit, r->types[i].nz * 16, r->path, what, err);
    if (rc)
        return rc;
    free(r->accumulate);
    free(r->out);
    r->accumulate = malloc((size_t)r->types[i].nz * sizeof *r->accumulate);
    r->out = malloc((size_t)r->types[i].nz * 8);
    if (!r->accumulate || !r->out)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    return 0;
}

static omsi_dtype cube_dtype(const mzml_reader *r, const mzml_type *t)
{
    return r->binned || t->any_f64_int ? OMSI_DT_FLOAT64 : OMSI_DT_FLOAT32;
}

static void mzml_info(omsi_reader *base, omsi_dataset_info *out)
{
    mzml_reader *r = (mzml_reader *)base;
    const mzml_type *t = &r->types[r->selected];
    memset(out, 0, sizeof *out);
    out->nx = r->imaging ? r->nx : t->n_spectra;
    out->ny = r->imaging ? r->ny : 1;
    out->nz = t->nz;
    out->dtype = cube_dtype(r, t);
    out->mz_dtype = t->any_f64_mz || r->binned ? OMSI_DT_FLOAT64 : OMSI_DT_FLOAT32; /* bin edges: float64 */
    out->n_spectra = t->n_spectra;
    out->n_skipped = r->n_skipped;
    out->not_imaging = !r->imaging;
    snprintf(out->name, sizeof out->name, "%.255s", t->key);
}

static const double *mzml_mz(omsi_reader *base)
{
    mzml_reader *r = (mzml_reader *)base;
    return r->types[r->selected].mz;
}

static size_t mzml_deps(omsi_reader *base, const omsi_dependency **out)
{
    mzml_reader *r = (mzml_reader *)base;
    *out = r->types[r->selected].deps;
    return r->types[r->selected].n_deps;
}

/* File metadata plus the selected scan type's (spec 8.5). */
static const omsi_metadata *mzml_metadata(omsi_reader *base)
{
    mzml_reader *r = (mzml_reader *)base;
    const mzml_type *t = &r->types[r->selected];
    omsi_metadata *md = &r->metadata;
    /* rebuild the per-type part: keep the file-level entries (instrument) */
    size_t keep = 0;
    for (size_t i = 0; i < md->count; i++)
        if (md->items[i].collection == OMSI_COLL_INSTRUMENT)
            keep++;
    omsi_metadata fresh;
    omsi_meta_init(&fresh);
    for (size_t i = 0; i < md->count; i++)
        if (md->items[i].collection == OMSI_COLL_INSTRUMENT) {
            omsi_metadata one = {.items = &md->items[i], .count = 1, .capacity = 1};
            omsi_meta_append(&fresh, &one);
        }
    (void)keep;
    omsi_meta_free(md);
    *md = fresh;
    const mzml_spectrum *f = &t->first;
    omsi_meta_text(md, OMSI_COLL_DATASET, "checksum", omsi_checksum_name(r->checksum), NULL, NULL);
    omsi_meta_describe_last(md, "The file's declared checksum (indexed mzML fileChecksum, SHA-1): ok, mismatch or "
                                "absent");
    if (!r->binned) {
        omsi_meta_int(md, OMSI_COLL_DATASET, "mz_arrays_sorted_by_reader", (int64_t)t->mz_unsorted, NULL, NULL);
        omsi_meta_describe_last(md, "How many m/z arrays of this scan type were not in increasing order and were "
                                    "sorted by the reader to build the common m/z axis");
    }
    omsi_meta_int(md, OMSI_COLL_DATASET, "msn_value_of_n", f->ms_level, "level", "MS:1000511");
    omsi_meta_describe_last(md, "The level n of MS^n mass spectrometry");
    omsi_meta_text(md, OMSI_COLL_DATASET, "polarity", f->polarity > 0 ? "pos" : f->polarity < 0 ? "neg" : "unk", NULL,
                   f->polarity > 0 ? "MS:1000130" : f->polarity < 0 ? "MS:1000129" : NULL);
    omsi_meta_describe_last(md, "Polarity");
    omsi_meta_text(md, OMSI_COLL_DATASET, "dissociation_type", f->activation[0] ? f->activation : "None", NULL, NULL);
    omsi_meta_describe_last(md, "Dissociation type");
    if (f->ms_level > 1) {
        omsi_meta_float(md, OMSI_COLL_DATASET, "msn_precursor_mz", f->precursor_mz, "m/z", "MS:1000744");
        omsi_meta_describe_last(md, "The precursor m/z value");
        if (f->activation_energy > 0) {
            omsi_meta_float(md, OMSI_COLL_DATASET, "dissociation_energy", f->activation_energy, "V", "MS:1000045");
            omsi_meta_describe_last(md, "Dissociation energy");
        }
    }
    if (f->filter[0])
        omsi_meta_text(md, OMSI_COLL_DATASET, "filter_string", f->filter, NULL, "MS:1000512");
    omsi_meta_text(md, OMSI_COLL_DATASET, "representation",
                   f->representation == 1 ? "centroid" : f->representation == 2 ? "profile" : "unknown", NULL, NULL);
    omsi_meta_text(md, OMSI_COLL_DATASET, "layout",
                   r->imaging ? "imaging: pixel = position - minimum position"
                              : "not imaging (no positions): one row, one pixel per spectrum in file order",
                   NULL, NULL);
    if (r->n_skipped) {
        omsi_meta_int(md, OMSI_COLL_DATASET, "skipped_spectra", (int64_t)r->n_skipped, NULL, NULL);
        omsi_meta_describe_last(md, "Spectra of the file with zero points, in no cube");
        char ids[sizeof r->skipped_ids + 16];
        snprintf(ids, sizeof ids, "%s%s", r->skipped_ids, r->n_skipped > MAX_SKIPPED_IDS ? ", ..." : "");
        omsi_meta_text(md, OMSI_COLL_DATASET, "skipped_spectrum_ids", ids, NULL, NULL);
    }
    char axis[224];
    if (r->binned)
        snprintf(axis, sizeof axis, "geometric bins of %g ppm (values: lower edges), intensities summed", r->opts.ppm > 0 ? r->opts.ppm : 5);
    else
        snprintf(axis, sizeof axis, "exact union of the m/z values of the scan type (%llu)", (unsigned long long)t->nz);
    omsi_meta_text(md, OMSI_COLL_DATASET, "mz_axis", axis, NULL, NULL);
    return md;
}

static int mzml_rewind(omsi_reader *base, omsi_error *err)
{
    (void)err;
    stop_iteration((mzml_reader *)base);
    return 0;
}

static void store(omsi_dtype t, void *out, size_t k, double v)
{
    if (t == OMSI_DT_FLOAT32)
        ((float *)out)[k] = (float)v;
    else
        ((double *)out)[k] = v;
}

static int mzml_next(omsi_reader *base, omsi_spectrum *out, omsi_error *err)
{
    mzml_reader *r = (mzml_reader *)base;
    mzml_type *t = &r->types[r->selected];
    int rc;
    if (!r->parser_open) {
        if ((rc = mzml_parser_open(&r->parser, r->path, r->opts.memory_limit, err)))
            return rc;
        r->parser_open = true;
        r->next = 0;
    }
    for (;;) {
        /* Non-empty spectra are numbered as in the first pass; only the
         * selected type's arrays are decoded. */
        if (r->next >= r->n_spectra)
            return 0;
        bool wanted = r->spectra[r->next].type == r->selected;
        rc = mzml_next_spectrum(&r->parser, &r->current, wanted, err);
        if (rc <= 0)
            return rc == 0 ? omsi_error_set(err, OMSI_ERR_FORMAT, "%s: changed since it was opened", r->path) : rc;
        if (r->current.mz.count == 0)
            continue; /* empty spectrum: not in the index */
        const spectrum_entry *e = &r->spectra[r->next++];
        if (e->type != r->selected)
            continue;
        const mzml_spectrum *s = &r->current;
        memset(r->accumulate, 0, (size_t)t->nz * sizeof *r->accumulate);
        if (r->binned) {
            for (size_t k = 0; k < s->mz.count; k++) {
                size_t bin = (size_t)ppm_axis_bin(t->mz, t->nz, t->lo, t->log_step, s->mz.values[k]);
                r->accumulate[bin] += s->intensity.values[k];
            }
        } else {
            /* the value is on the axis; m/z arrays are almost always sorted,
             * so gallop on from the last hit (from the start where not) */
            size_t pos = 0, nz = (size_t)t->nz;
            double prev = -INFINITY;
            for (size_t k = 0; k < s->mz.count; k++) {
                double v = s->mz.values[k];
                pos = sorted_union_gallop(t->mz, nz, v >= prev ? pos : 0, v);
                prev = v;
                r->accumulate[pos < nz ? pos : nz - 1] += s->intensity.values[k];
            }
        }
        omsi_dtype dt = cube_dtype(r, t);
        for (uint64_t k = 0; k < t->nz; k++)
            store(dt, r->out, (size_t)k, r->accumulate[k]);
        out->x = r->imaging ? (uint64_t)(e->x - r->min_x) : e->ordinal;
        out->y = r->imaging ? (uint64_t)(e->y - r->min_y) : 0;
        out->z = 0;
        out->intensities = r->out;
        return 1;
    }
}

static void mzml_close(omsi_reader *base)
{
    mzml_reader *r = (mzml_reader *)base;
    if (!r)
        return;
    stop_iteration(r);
    for (size_t t = 0; t < r->n_types; t++) {
        sorted_union_free(&r->types[t].axis);
        free(r->types[t].mz);
    }
    free(r->types);
    free(r->spectra);
    free(r->accumulate);
    free(r->out);
    free(r->path);
    mzml_spectrum_free(&r->current);
    omsi_meta_free(&r->metadata);
    free(r);
}

static int mzml_checksum(omsi_reader *base, omsi_checksum_state *out, omsi_error *err)
{
    (void)err;
    *out = ((mzml_reader *)base)->checksum;
    return 0;
}

static const omsi_reader_ops mzml_ops = {
    .number_of_datasets = mzml_n_datasets,
    .set_dataset_selection = mzml_select,
    .info = mzml_info,
    .mz = mzml_mz,
    .dependencies = mzml_deps,
    .metadata = mzml_metadata,
    .rewind = mzml_rewind,
    .next_spectrum = mzml_next,
    .checksum = mzml_checksum,
    .close = mzml_close,
};

/* Duplicate pixels within a scan type are an error. */
static int compare_entries(const void *a, const void *b)
{
    const spectrum_entry *x = a, *y = b;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    return x->y < y->y ? -1 : x->y > y->y;
}

static int check_duplicates(mzml_reader *r, omsi_error *err)
{
    if (!r->imaging)
        return 0;
    spectrum_entry *copy = malloc(r->n_spectra * sizeof *copy);
    if (!copy)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    memcpy(copy, r->spectra, r->n_spectra * sizeof *copy);
    qsort(copy, r->n_spectra, sizeof *copy, compare_entries);
    int rc = 0;
    for (size_t i = 1; i < r->n_spectra && !rc; i++)
        if (compare_entries(&copy[i], &copy[i - 1]) == 0)
            rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: two spectra of scan type '%s' at position (%lld, %lld)",
                                r->path, r->types[copy[i].type].key, (long long)copy[i].x, (long long)copy[i].y);
    free(copy);
    return rc;
}

static int mzml_open(const char *path, const omsi_open_options *opts, omsi_reader **out, omsi_error *err)
{
    *out = NULL;
    mzml_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    r->base.format = self();
    r->base.ops = &mzml_ops;
    r->opts = *opts;
    omsi_meta_init(&r->metadata);
    int rc = first_pass(r, err);
    if (!rc)
        rc = plan_axes(r, err);
    if (!rc)
        rc = plan_grid(r, err);
    if (!rc)
        rc = check_duplicates(r, err);
    if (!rc) {
        plan_dependencies(r);
        rc = mzml_select(&r->base, 0, err);
    }
    if (!rc && !r->imaging)
        omsi_log(opts->log, OMSI_LOG_INFO, "%s: no positions: each scan type becomes one row of pixels", path);
    if (rc) {
        mzml_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return 0;
}

/* Every scan type's cube; leaves the first dataset selected. */
static int mzml_size_of_reader(omsi_reader *r, uint64_t *bytes, omsi_error *err)
{
    *bytes = 0;
    size_t n = omsi_reader_number_of_datasets(r);
    for (size_t d = 0; d < n; d++) {
        omsi_dataset_info info;
        omsi_reader_set_dataset(r, d, err);
        omsi_reader_info(r, &info);
        *bytes += info.nx * info.ny * info.nz * omsi_dtype_size(info.dtype);
    }
    if (n > 1)
        omsi_reader_set_dataset(r, 0, err);
    return 0;
}

static int mzml_size(const char *path, uint64_t *bytes, omsi_error *err)
{
    return omsi_format_size_by_opening(&omsi_format_mzml, path, bytes, err);
}

const omsi_format omsi_format_mzml = {
    .name = "mzml",
    .bastet_name = "mzml_file",
    .description = "mzML: one dataset per scan type, MSn -> MS(n-1) links, exact or ppm m/z axes",
    .supports_regions = false,
    .supports_multidata = true,
    .supports_multiexperiment = false,
    .is_valid_dataset = mzml_is_valid,
    .size = mzml_size,
    .size_of_reader = mzml_size_of_reader,
    .list_files = mzml_list_files,
    .open = mzml_open,
};
