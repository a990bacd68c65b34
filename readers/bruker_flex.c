/* Bruker flex reader (spot trees with acqu + fid; spot lists), spec 4.
 * Imaging runs (R<r>X<x>Y<y> spots): the merged cube is the tight bounding
 * box of all spots (BASTet's 0-origin grid with bastet_grid), each region
 * (R number) is selectable with its own tight box, and the dependencies are
 * msi_region_<i> / msi_full. A spot list's single region is a region too
 * (its name is kept); each region's metadata carry its own name, origin and
 * spot count. Non-imaging runs (0_A1 ...): one row, one pixel
 * per spot in name order. Every spot must share one calibration. */
#include "readers/bruker_acqu.h"
#include "readers/bruker_spots.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const omsi_format omsi_format_bruker_flex;

typedef struct flex_region {
    uint32_t r;
    uint32_t min_x, min_y, max_x, max_y;
    uint64_t spectra;                /* spots with a fid */
    uint64_t spots;                  /* spots listed (or found) in the region */
    char name[128];
} flex_region;

/* Missing spots warned by name; the rest are counted in one line. */
enum { MAX_MISSING_WARNINGS = 10 };

static omsi_validity flex_is_valid(const char *path, omsi_error *why)
{
    omsi_error scratch = {0};
    if (!why)
        why = &scratch;
    bruker_run run;
    int rc = bruker_run_find(path, 0, &run, why);
    if (rc)
        return rc == OMSI_ERR_NOT_FORMAT ? OMSI_NOT_THIS_FORMAT : OMSI_BROKEN;
    omsi_validity v = OMSI_VALID;
    if (!omsi_is_directory(run.folder)) {
        omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: spot folder %s missing", run.spot_list, run.folder);
        v = OMSI_INCOMPLETE;
    }
    bruker_acqu first;
    bool have_first = false;
    for (size_t i = 0; i < run.count && v == OMSI_VALID; i++) {
        const bruker_spot *s = &run.spots[i];
        if (s->unusable) { /* a FIFO or device: never data, not "no fid yet" */
            omsi_error_set(why, OMSI_ERR_FORMAT, "%s: spot %s: %s", run.folder, s->name, s->unusable);
            v = OMSI_BROKEN;
            break;
        }
        if (!s->acqu || !s->fid) {
            omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: spot %s has no %s yet", run.folder, s->name,
                           s->acqu ? "fid" : "acqu");
            v = OMSI_INCOMPLETE;
            break;
        }
        if (!have_first) {
            if (bruker_acqu_read(s->acqu, &first, why)) {
                v = OMSI_BROKEN;
                break;
            }
            have_first = true;
        }
        uint64_t size = s->fid_bytes; /* stat'ed by the walk */
        if (size != first.td * 4) {
            omsi_error_set(why, OMSI_ERR_FORMAT, "%s: %llu bytes, TD = %llu needs %llu", s->fid,
                           (unsigned long long)size, (unsigned long long)first.td,
                           (unsigned long long)first.td * 4);
            v = size < first.td * 4 ? OMSI_INCOMPLETE : OMSI_BROKEN;
        }
    }
    bruker_run_free(&run);
    return v;
}

static int flex_list_files(const char *path, omsi_path_list *files, omsi_error *err)
{
    bruker_run run;
    int rc = bruker_run_find(path, 0, &run, err);
    if (rc)
        return rc;
    if (run.spot_list && omsi_path_list_add(files, run.spot_list))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < run.count && !rc; i++) {
        const bruker_spot *s = &run.spots[i];
        if ((s->acqu && omsi_path_list_add(files, s->acqu)) || (s->fid && omsi_path_list_add(files, s->fid)))
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    bruker_run_free(&run);
    return rc;
}

typedef struct flex_reader {
    omsi_reader base;
    omsi_open_options opts;
    bruker_run run;
    bruker_acqu acqu;
    double *mz;
    int32_t *spectrum;
    bool imaging;
    bool hpc_applied;                /* the m/z axis carries the HPC correction */
    uint32_t origin_x, origin_y;     /* merged cube origin (spot X/Y) */
    uint64_t nx, ny;                 /* merged cube */
    flex_region *regions;
    size_t n_regions;
    long selected;                   /* -1 merged */
    size_t next;
    omsi_dependency deps[2];         /* region selection: msi_full */
    omsi_dependency *merged_deps;    /* merged selection: msi_region_<i> */
    omsi_metadata file_metadata;     /* calibration, instrument: every selection */
    omsi_metadata metadata;          /* file_metadata + the current selection's spots/region */
} flex_reader;

static size_t one_dataset(omsi_reader *r) { (void)r; return 1; }

static int select_dataset(omsi_reader *r, size_t i, omsi_error *err)
{
    (void)r;
    return i == 0 ? 0 : omsi_error_set(err, OMSI_ERR_USAGE, "bruckerflex: dataset %zu does not exist", i);
}

static size_t flex_n_regions(omsi_reader *base) { return ((flex_reader *)base)->n_regions; }

static int flex_get_region(omsi_reader *base, size_t i, omsi_region *out)
{
    flex_reader *r = (flex_reader *)base;
    if (i >= r->n_regions)
        return -1;
    const flex_region *g = &r->regions[i];
    memset(out, 0, sizeof *out);
    out->x0 = g->min_x - r->origin_x;
    out->y0 = g->min_y - r->origin_y;
    out->nx = (uint64_t)g->max_x - g->min_x + 1;
    out->ny = (uint64_t)g->max_y - g->min_y + 1;
    out->n_spectra = g->spectra;
    snprintf(out->name, sizeof out->name, "%s", g->name);
    return 0;
}

/* r->metadata for the current selection: the file's entries, then the
 * selection's spot count and, for a region, its name and origin. */
static int selection_metadata(flex_reader *r)
{
    omsi_metadata *md = &r->metadata;
    omsi_meta_free(md);
    omsi_meta_init(md);
    int rc = omsi_meta_append(md, &r->file_metadata);
    if (rc)
        return rc;
    if (r->selected < 0) {
        rc = omsi_meta_int(md, OMSI_COLL_DATASET, "spots", (int64_t)r->run.count, NULL, NULL);
        if (!rc && r->n_regions)
            rc = omsi_meta_int(md, OMSI_COLL_DATASET, "regions", (int64_t)r->n_regions, NULL, NULL);
        return rc;
    }
    const flex_region *g = &r->regions[r->selected];
    omsi_region reg;
    flex_get_region(&r->base, (size_t)r->selected, &reg);
    rc = omsi_meta_int(md, OMSI_COLL_DATASET, "spots", (int64_t)g->spots, NULL, NULL) ||
         omsi_meta_int(md, OMSI_COLL_DATASET, "spectra", (int64_t)g->spectra, NULL, NULL) ||
         omsi_meta_text(md, OMSI_COLL_DATASET, "region_name", g->name, NULL, NULL) ||
         omsi_meta_int(md, OMSI_COLL_DATASET, "region_index", r->selected, NULL, NULL) ||
         omsi_meta_int(md, OMSI_COLL_DATASET, "region_number", (int64_t)g->r, NULL, NULL) ||
         /* the region's first pixel in the merged cube, and as spot X/Y */
         omsi_meta_int(md, OMSI_COLL_DATASET, "region_origin_x", (int64_t)reg.x0, "pixels", NULL) ||
         omsi_meta_int(md, OMSI_COLL_DATASET, "region_origin_y", (int64_t)reg.y0, "pixels", NULL) ||
         omsi_meta_int(md, OMSI_COLL_DATASET, "region_spot_x", (int64_t)g->min_x, NULL, NULL) ||
         omsi_meta_int(md, OMSI_COLL_DATASET, "region_spot_y", (int64_t)g->min_y, NULL, NULL);
    return rc;
}

static int flex_set_region(omsi_reader *base, long i, omsi_error *err)
{
    flex_reader *r = (flex_reader *)base;
    if (i < -1 || i >= (long)r->n_regions)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: region %ld does not exist (%zu regions)", r->run.folder, i,
                              r->n_regions);
    r->selected = i;
    r->next = 0;
    if (selection_metadata(r))
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    return 0;
}

static void flex_info(omsi_reader *base, omsi_dataset_info *out)
{
    flex_reader *r = (flex_reader *)base;
    memset(out, 0, sizeof *out);
    out->nz = r->acqu.td;
    out->dtype = OMSI_DT_INT32;
    out->mz_dtype = OMSI_DT_FLOAT64;
    out->not_imaging = !r->imaging;
    if (r->selected < 0) {
        out->nx = r->nx;
        out->ny = r->ny;
        for (size_t i = 0; i < r->run.count; i++)
            out->n_spectra += r->run.spots[i].fid != NULL;
    } else {
        omsi_region g;
        flex_get_region(base, (size_t)r->selected, &g);
        out->nx = g.nx;
        out->ny = g.ny;
        out->n_spectra = g.n_spectra;
        snprintf(out->name, sizeof out->name, "%s", g.name);
    }
}

static const double *flex_mz(omsi_reader *base) { return ((flex_reader *)base)->mz; }

static size_t flex_dependencies(omsi_reader *base, const omsi_dependency **out)
{
    flex_reader *r = (flex_reader *)base;
    if (r->n_regions == 0) {
        *out = NULL;
        return 0;
    }
    if (r->selected < 0) {
        *out = r->merged_deps;
        return r->n_regions;
    }
    *out = r->deps;
    return 1;
}

static const omsi_metadata *flex_metadata(omsi_reader *base) { return &((flex_reader *)base)->metadata; }

static int flex_rewind(omsi_reader *base, omsi_error *err)
{
    (void)err;
    ((flex_reader *)base)->next = 0;
    return 0;
}

static bool in_selection(const flex_reader *r, const bruker_spot *s)
{
    if (r->selected < 0)
        return true;
    return s->region == r->regions[r->selected].r;
}

/* Reads values z0 .. z0 + n - 1 of the fid of s into dest (int32 in host
 * order), after checking the fid holds TD values. */
static int read_fid_values(flex_reader *r, const bruker_spot *s, uint64_t z0, uint64_t n, void *dest,
                           omsi_error *err)
{
    int fd = open(s->fid, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", s->fid);
    /* fstat of the open file: no second path lookup */
    struct stat st;
    int rc = fstat(fd, &st) ? omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", s->fid) : 0;
    if (!rc && !S_ISREG(st.st_mode))
        rc = omsi_error_set(err, OMSI_ERR_IO, "%s: not a regular file", s->fid);
    uint64_t size = rc ? 0 : (uint64_t)st.st_size;
    if (!rc && size != r->acqu.td * 4)
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %llu bytes, TD = %llu needs %llu", s->fid,
                            (unsigned long long)size, (unsigned long long)r->acqu.td,
                            (unsigned long long)r->acqu.td * 4);
    if (!rc)
        rc = omsi_pread_exact(fd, dest, (size_t)n * 4, (uint64_t)z0 * 4, s->fid, err);
    close(fd);
    if (!rc && (r->acqu.bytorda == 1) == omsi_host_is_little_endian())
        omsi_swap_items(dest, 4, (size_t)n);
    return rc;
}

/* Spot X and Y of the selection's pixel (0, 0) (imaging runs). */
static void selection_origin(const flex_reader *r, uint32_t *ox, uint32_t *oy)
{
    *ox = r->selected < 0 ? r->origin_x : r->regions[r->selected].min_x;
    *oy = r->selected < 0 ? r->origin_y : r->regions[r->selected].min_y;
}

static int flex_next(omsi_reader *base, omsi_spectrum *out, omsi_error *err)
{
    flex_reader *r = (flex_reader *)base;
    while (r->next < r->run.count) {
        const bruker_spot *s = &r->run.spots[r->next++];
        if (!s->fid || !in_selection(r, s))
            continue; /* missing spots stay zero */
        int rc = read_fid_values(r, s, 0, r->acqu.td, r->spectrum, err);
        if (rc)
            return rc;
        uint32_t ox, oy;
        selection_origin(r, &ox, &oy);
        out->x = r->imaging ? s->x - ox : s->x;
        out->y = r->imaging ? s->y - oy : 0;
        out->z = 0;
        out->intensities = r->spectrum;
        return 1;
    }
    return 0;
}

/* The spot at pixel (x, y) of the selection, or NULL: a binary search of
 * the spots, which plan() sorted by X, then Y (non-imaging runs: by list
 * position in x, one row). */
static const bruker_spot *spot_at(const flex_reader *r, uint64_t x, uint64_t y)
{
    /* the selection's box (flex_info would also count its spectra) */
    omsi_region g = {.nx = r->nx, .ny = r->ny};
    if (r->selected >= 0)
        flex_get_region((omsi_reader *)r, (size_t)r->selected, &g);
    if (x >= g.nx || y >= g.ny)
        return NULL;
    uint64_t want_x = x, want_y = 0;
    if (r->imaging) {
        uint32_t ox, oy;
        selection_origin(r, &ox, &oy);
        want_x += ox;
        want_y = y + oy;
    }
    size_t lo = 0, hi = r->run.count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const bruker_spot *s = &r->run.spots[mid];
        bool before = s->x < want_x || (r->imaging && s->x == want_x && s->y < want_y);
        if (before)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == r->run.count)
        return NULL;
    const bruker_spot *s = &r->run.spots[lo];
    if (s->x != want_x || (r->imaging && s->y != want_y) || !s->fid || !in_selection(r, s))
        return NULL;
    return s;
}

/* Random access for the writer's tile order (no temporary copy of a large
 * tree): values of one fid straight into buf. */
static int flex_read_values(omsi_reader *base, uint64_t x, uint64_t y, uint64_t z0, uint64_t n, void *buf,
                            omsi_error *err)
{
    flex_reader *r = (flex_reader *)base;
    int rc = omsi_reader_check_values_range(r->run.folder, z0, n, r->acqu.td, err);
    if (rc)
        return rc;
    const bruker_spot *s = spot_at(r, x, y);
    if (!s) {
        memset(buf, 0, (size_t)n * 4);
        return 1;
    }
    return read_fid_values(r, s, z0, n, buf, err);
}

static int flex_read_spectrum(omsi_reader *base, uint64_t x, uint64_t y, void *buf, omsi_error *err)
{
    return flex_read_values(base, x, y, 0, ((flex_reader *)base)->acqu.td, buf, err);
}

static void flex_close(omsi_reader *base)
{
    flex_reader *r = (flex_reader *)base;
    if (!r)
        return;
    bruker_run_free(&r->run);
    free(r->mz);
    free(r->spectrum);
    free(r->regions);
    free(r->merged_deps);
    omsi_meta_free(&r->metadata);
    omsi_meta_free(&r->file_metadata);
    free(r);
}

static const omsi_reader_ops flex_ops = {
    .number_of_datasets = one_dataset,
    .set_dataset_selection = select_dataset,
    .number_of_regions = flex_n_regions,
    .get_region = flex_get_region,
    .set_region_selection = flex_set_region,
    .info = flex_info,
    .mz = flex_mz,
    .dependencies = flex_dependencies,
    .metadata = flex_metadata,
    .rewind = flex_rewind,
    .next_spectrum = flex_next,
    .read_spectrum = flex_read_spectrum,
    .read_values = flex_read_values,
    .close = flex_close,
};

static int compare_spots(const void *a, const void *b)
{
    const bruker_spot *s = a, *t = b;
    if (s->x != t->x)
        return s->x < t->x ? -1 : 1;
    return s->y < t->y ? -1 : s->y > t->y;
}

static int compare_regions(const void *a, const void *b)
{
    uint32_t x = ((const flex_region *)a)->r, y = ((const flex_region *)b)->r;
    return x < y ? -1 : x > y;
}

/* Calibration of every spot against the first; duplicates; grid and regions. */
static int plan(flex_reader *r, omsi_error *err)
{
    bool first = true;
    size_t missing = 0, with_spectra = 0;
    for (size_t i = 0; i < r->run.count; i++) {
        bruker_spot *s = &r->run.spots[i];
        if (!s->fid) {
            /* the first few by name, then one line with the count */
            if (missing++ < MAX_MISSING_WARNINGS)
                omsi_log(r->opts.log, OMSI_LOG_WARNING, "%s: spot %s has no spectrum; its pixel stays zero",
                         r->run.folder, s->name);
            continue;
        }
        with_spectra++;
        bruker_acqu a;
        int rc = bruker_acqu_read(s->acqu, &a, err);
        if (rc)
            return rc;
        if (first) {
            r->acqu = a;
            first = false;
        } else if (!bruker_same_calibration(&r->acqu, &a) || a.bytorda != r->acqu.bytorda) {
            return omsi_error_set(err, OMSI_ERR_UNSUPPORTED,
                                  "%s: calibration (TD, DELAY, DW, ML1..3, HPC, BYTORDA) differs from the first spot's; "
                                  "spots with different m/z axes cannot share one cube",
                                  s->acqu);
        }
    }
    if (missing > MAX_MISSING_WARNINGS)
        omsi_log(r->opts.log, OMSI_LOG_WARNING, "%s: ... and %zu more spots have no spectrum", r->run.folder,
                 missing - MAX_MISSING_WARNINGS);
    if (first)
        return omsi_error_set(err, OMSI_ERR_INCOMPLETE, "%s: no spot has a spectrum yet", r->run.folder);
    r->imaging = r->run.count && r->run.spots[0].imaging;
    qsort(r->run.spots, r->run.count, sizeof *r->run.spots, compare_spots);
    for (size_t i = 1; i < r->run.count; i++)
        if (r->imaging && r->run.spots[i].x == r->run.spots[i - 1].x && r->run.spots[i].y == r->run.spots[i - 1].y)
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: two spots at X%u Y%u", r->run.folder,
                                  r->run.spots[i].x, r->run.spots[i].y);
    if (!r->imaging) {
        r->nx = r->run.count;
        r->ny = 1;
        return 0;
    }
    uint32_t min_x = UINT32_MAX, min_y = UINT32_MAX, max_x = 0, max_y = 0;
    for (size_t i = 0; i < r->run.count; i++) {
        const bruker_spot *s = &r->run.spots[i];
        min_x = s->x < min_x ? s->x : min_x;
        min_y = s->y < min_y ? s->y : min_y;
        max_x = s->x > max_x ? s->x : max_x;
        max_y = s->y > max_y ? s->y : max_y;
        size_t g = 0;
        while (g < r->n_regions && r->regions[g].r != s->region)
            g++;
        if (g == r->n_regions) {
            /* the region search is linear: bounded so that a list naming a
             * million regions cannot stall the open */
            if (r->n_regions == BRUKER_MAX_REGIONS)
                return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: more than %d regions",
                                      r->run.spot_list ? r->run.spot_list : r->run.folder, BRUKER_MAX_REGIONS);
            flex_region *p = realloc(r->regions, (r->n_regions + 1) * sizeof *p);
            if (!p)
                return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            r->regions = p;
            flex_region *n = &r->regions[r->n_regions++];
            memset(n, 0, sizeof *n);
            n->r = s->region;
            n->min_x = n->max_x = s->x;
            n->min_y = n->max_y = s->y;
            snprintf(n->name, sizeof n->name, "region_%u", s->region);
            for (size_t k = 0; k < r->run.n_names; k++)
                if (r->run.names[k].region == s->region)
                    snprintf(n->name, sizeof n->name, "%s", r->run.names[k].name);
        }
        flex_region *n = &r->regions[g];
        n->min_x = s->x < n->min_x ? s->x : n->min_x;
        n->min_y = s->y < n->min_y ? s->y : n->min_y;
        n->max_x = s->x > n->max_x ? s->x : n->max_x;
        n->max_y = s->y > n->max_y ? s->y : n->max_y;
        n->spectra += s->fid != NULL;
        n->spots++;
    }
    qsort(r->regions, r->n_regions, sizeof *r->regions, compare_regions);
    r->origin_x = r->opts.bastet_grid ? 0 : min_x;
    r->origin_y = r->opts.bastet_grid ? 0 : min_y;
    r->nx = (uint64_t)max_x - r->origin_x + 1;
    r->ny = (uint64_t)max_y - r->origin_y + 1;
    int rc = omsi_reader_check_grid(r->run.spot_list ? r->run.spot_list : r->run.folder, r->nx, r->ny, r->acqu.td,
                                    4, with_spectra, r->opts.memory_limit, err);
    if (rc)
        return rc;
    if (r->n_regions < 2 && !r->run.spot_list) {
        r->n_regions = 0; /* a bare tree of one R number: the merged cube is all there is */
        return 0;
    }
    r->merged_deps = calloc(r->n_regions, sizeof *r->merged_deps);
    if (!r->merged_deps)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    for (size_t g = 0; g < r->n_regions; g++) {
        omsi_dependency *d = &r->merged_deps[g];
        snprintf(d->link_name, sizeof d->link_name, "msi_region_%zu", g);
        d->dataset = -1;
        d->region = (long)g;
        snprintf(d->type, sizeof d->type, "contains");
        snprintf(d->help, sizeof d->help, "Dependency pointing to a subregion of the MSI dataset");
    }
    omsi_dependency *full = &r->deps[0];
    snprintf(full->link_name, sizeof full->link_name, "msi_full");
    full->dataset = -1;
    full->region = -1;
    snprintf(full->type, sizeof full->type, "subset");
    snprintf(full->help, sizeof full->help, "Dependency pointing to the full MSI dataset this dataset is a sub-region of");
    return 0;
}

static int describe(flex_reader *r)
{
    omsi_metadata *md = &r->file_metadata;
    const bruker_acqu *a = &r->acqu;
    int rc = omsi_meta_int(md, OMSI_COLL_DATASET, "TD", (int64_t)a->td, "points", NULL) ||
             omsi_meta_float(md, OMSI_COLL_DATASET, "DELAY", a->delay, "ns", NULL) ||
             omsi_meta_float(md, OMSI_COLL_DATASET, "DW", a->dw, "ns", NULL) ||
             omsi_meta_float(md, OMSI_COLL_DATASET, "ML1", a->ml1, NULL, NULL) ||
             omsi_meta_float(md, OMSI_COLL_DATASET, "ML2", a->ml2, NULL, NULL) ||
             omsi_meta_float(md, OMSI_COLL_DATASET, "ML3", a->ml3, NULL, NULL) ||
             omsi_meta_text(md, OMSI_COLL_DATASET, "layout",
                            r->imaging ? "imaging: pixel = spot X, Y (tight bounding box)"
                                       : "non-imaging: one row, one pixel per spot in name order",
                            NULL, NULL);
    if (!rc && a->instrument[0])
        rc = omsi_meta_text(md, OMSI_COLL_INSTRUMENT, "instrument", a->instrument, NULL, NULL);
    if (!rc && a->instrument_id[0])
        rc = omsi_meta_text(md, OMSI_COLL_INSTRUMENT, "instrument_id", a->instrument_id, NULL, NULL);
    if (!rc && a->method[0])
        rc = omsi_meta_text(md, OMSI_COLL_METHODS, "acquisition_method", a->method, NULL, NULL);
    if (!rc && a->date[0])
        rc = omsi_meta_text(md, OMSI_COLL_DATASET, "acquisition_date", a->date, NULL, NULL);
    if (!rc)
        rc = omsi_meta_text(md, OMSI_COLL_DATASET, "calibration", r->hpc_applied ? "hpc" : "plain", NULL, NULL);
    if (!rc && a->hpc)
        rc = omsi_meta_text(md, OMSI_COLL_DATASET, "hpc_calibration",
                            r->hpc_applied           ? "present, applied"
                            : bruker_hpc_declared(a) ? "present, not applied (plain calibration requested)"
                                                     : "declared, but HPClBLo/HPClBHi/HPClOrd are not all > 0",
                            NULL, NULL);
    if (!rc && bruker_hpc_declared(a))
        rc = omsi_meta_float(md, OMSI_COLL_DATASET, "HPClBLo", a->hpc_cal.lo, "m/z", NULL) ||
             omsi_meta_float(md, OMSI_COLL_DATASET, "HPClBHi", a->hpc_cal.hi, "m/z", NULL) ||
             omsi_meta_float(md, OMSI_COLL_DATASET, "HPClOrd", a->hpc_cal.order, NULL, NULL);
    return rc;
}

/* Applies HPC to the plain axis when the options and the acqu ask for it. */
static int calibrate(flex_reader *r, const char *acqu_path, omsi_error *err)
{
    const bruker_acqu *a = &r->acqu;
    omsi_calibration mode = r->opts.calibration;
    if (mode == OMSI_CALIBRATION_PLAIN || (mode == OMSI_CALIBRATION_AUTO && !bruker_hpc_declared(a)))
        return 0;
    if (!bruker_hpc_declared(a))
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED,
                              "%s: calibration hpc requested, but the acqu has no usable HPC "
                              "($HPClUse = %s, $HPClBLo = %g, $HPClBHi = %g, $HPClOrd = %g)",
                              acqu_path, a->hpc ? "yes" : "no", a->hpc_cal.lo, a->hpc_cal.hi, a->hpc_cal.order);
    if (a->hpc_cal.n == 0)
        return omsi_error_set(err, OMSI_ERR_FORMAT,
                              "%s: $HPClUse = yes but $HPCStr has no coefficients (\"V1.0VectorDouble <n>\", "
                              "n numbers, \"c2\"); --calibration plain ignores HPC",
                              acqu_path);
    bruker_hpc_apply(&a->hpc_cal, r->mz, (size_t)a->td);
    for (uint64_t i = 0; i < a->td; i++)
        if (!isfinite(r->mz[i]) || (i > 0 && !(r->mz[i] > r->mz[i - 1])))
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: the HPC correction gives a non-increasing m/z at point %llu; "
                                  "--calibration plain ignores HPC",
                                  acqu_path, (unsigned long long)i);
    r->hpc_applied = true;
    return 0;
}

static int flex_open(const char *path, const omsi_open_options *opts, omsi_reader **out, omsi_error *err)
{
    *out = NULL;
    flex_reader *r = calloc(1, sizeof *r);
    if (!r)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    r->base.format = &omsi_format_bruker_flex;
    r->base.ops = &flex_ops;
    r->opts = *opts;
    r->selected = -1;
    omsi_meta_init(&r->metadata);
    omsi_meta_init(&r->file_metadata);
    int rc = bruker_run_find(path, opts->memory_limit, &r->run, err);
    if (!rc && !omsi_is_directory(r->run.folder))
        rc = omsi_error_set(err, OMSI_ERR_INCOMPLETE, "%s: spot folder %s missing", r->run.spot_list, r->run.folder);
    for (size_t i = 0; !rc && i < r->run.count; i++)
        if (r->run.spots[i].unusable)
            rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spot %s: %s", r->run.folder, r->run.spots[i].name,
                                r->run.spots[i].unusable);
    if (!rc)
        rc = plan(r, err);
    if (!rc) {
        char what[64];
        snprintf(what, sizeof what, "spectra of TD = %llu points", (unsigned long long)r->acqu.td);
        rc = omsi_budget_check(opts->memory_limit, r->acqu.td * 12, r->run.folder, what, err);
    }
    if (!rc) {
        r->mz = malloc((size_t)r->acqu.td * sizeof *r->mz);
        r->spectrum = malloc((size_t)r->acqu.td * sizeof *r->spectrum);
        if (!r->mz || !r->spectrum)
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for TD = %llu", (unsigned long long)r->acqu.td);
    }
    if (!rc) {
        const char *first = NULL;
        for (size_t i = 0; i < r->run.count && !first; i++)
            if (r->run.spots[i].fid)
                first = r->run.spots[i].acqu;
        rc = bruker_mz_axis(&r->acqu, first ? first : r->run.folder, r->mz, err);
        if (!rc)
            rc = calibrate(r, first ? first : r->run.folder, err);
    }
    if (!rc && (describe(r) || selection_metadata(r)))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (rc) {
        flex_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return 0;
}

static int flex_size_of_reader(omsi_reader *r, uint64_t *bytes, omsi_error *err)
{
    (void)err;
    flex_reader *f = (flex_reader *)r;
    uint64_t with_spectra = 0;
    for (size_t i = 0; i < f->run.count; i++)
        with_spectra += f->run.spots[i].fid != NULL;
    *bytes = with_spectra * f->acqu.td * 4; /* the data acquired (spec 4.3) */
    return 0;
}

/* What flex_list_files lists, summed from the sizes the walk recorded. */
static int flex_input_bytes_of_reader(omsi_reader *r, uint64_t *bytes, omsi_error *err)
{
    (void)err;
    const bruker_run *run = &((flex_reader *)r)->run;
    uint64_t total = run->spot_list ? run->spot_list_bytes : 0;
    for (size_t i = 0; i < run->count; i++)
        total += (run->spots[i].acqu ? run->spots[i].acqu_bytes : 0) + (run->spots[i].fid ? run->spots[i].fid_bytes : 0);
    *bytes = total;
    return 0;
}

static int flex_size(const char *path, uint64_t *bytes, omsi_error *err)
{
    return omsi_format_size_by_opening(&omsi_format_bruker_flex, path, bytes, err);
}

const omsi_format omsi_format_bruker_flex = {
    .name = "bruckerflex",
    .bastet_name = "bruckerflex_file",
    .description = "Bruker flex spot trees (acqu + fid) and spot lists, with regions",
    .supports_regions = true,
    .supports_multidata = false,
    .supports_multiexperiment = false,
    .is_valid_dataset = flex_is_valid,
    .size = flex_size,
    .size_of_reader = flex_size_of_reader,
    .list_files = flex_list_files,
    .input_bytes_of_reader = flex_input_bytes_of_reader,
    .open = flex_open,
};
