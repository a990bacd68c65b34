/* imzML reader (.imzML + .ibd), spec section 2: continuous and processed
 * layouts, every array type, zlib arrays, UUID check, bounds-checked
 * offsets, exact union or ppm-binned m/z axes. The cube origin is the
 * bounding box of the recorded pixels (BASTet's rule); missing pixels are
 * not yielded (the writer leaves them zero). */
#include "readers/imzml_axis.h"
#include "readers/sorted_union.h"
#include "readers/imzml_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const omsi_format omsi_format_imzml;

enum { DEFAULT_MAX_AXIS = 1 << 24 };

/* Checks the .ibd's first 16 bytes against the declared UUID text. */
static int check_uuid(const imzml_header *h, const imzml_files *f, omsi_error *err)
{
    if (!h->uuid[0])
        return 0;
    unsigned char raw[16];
    int fd = open(f->ibd, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", f->ibd);
    int rc = omsi_pread_exact(fd, raw, 16, 0, f->ibd, err);
    close(fd);
    if (rc)
        return rc;
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    if (strcmp(hex, h->uuid) != 0)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: UUID %s does not match %s (%s): wrong .ibd file",
                              f->ibd, hex, f->imzml, h->uuid);
    return 0;
}

static omsi_validity imzml_is_valid(const char *path, omsi_error *why)
{
    omsi_error scratch = {0};
    if (!why)
        why = &scratch;
    imzml_files f;
    if (imzml_files_resolve(path, &f, why))
        return OMSI_NOT_THIS_FORMAT;
    omsi_validity v = OMSI_VALID;
    uint64_t ibd_size = 0;
    imzml_header h;
    if (!omsi_is_regular_file(f.imzml)) {
        omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: no such file", f.imzml);
        v = OMSI_NOT_THIS_FORMAT;
    } else {
        int rc = imzml_read_header(f.imzml, &h, why);
        if (rc == OMSI_ERR_NOT_FORMAT) {
            v = OMSI_NOT_THIS_FORMAT;
        } else if (rc == OMSI_ERR_INCOMPLETE || (rc && !h.is_imzml)) {
            v = rc == OMSI_ERR_INCOMPLETE ? OMSI_INCOMPLETE : OMSI_BROKEN;
        } else if (rc) {
            v = OMSI_BROKEN;
        } else if (!h.is_imzml) {
            omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: mzML without imaging terms", f.imzml);
            v = OMSI_NOT_THIS_FORMAT;
        } else if (omsi_companion_kind(f.ibd, NULL, NULL) != OMSI_FILE_REGULAR) {
            /* missing: waiting; a FIFO or device: never data */
            v = omsi_companion_kind(f.ibd, NULL, why) == OMSI_FILE_MISSING ? OMSI_INCOMPLETE : OMSI_BROKEN;
        } else if (omsi_file_size(f.ibd, &ibd_size, why) || ibd_size < 16) {
            if (!why->message[0] || ibd_size < 16)
                omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: %llu bytes, shorter than its 16-byte UUID",
                               f.ibd, (unsigned long long)ibd_size);
            v = OMSI_INCOMPLETE;
        } else if (check_uuid(&h, &f, why)) {
            v = OMSI_BROKEN;
        }
    }
    imzml_files_free(&f);
    return v;
}

static int imzml_list_files(const char *path, omsi_path_list *files, omsi_error *err)
{
    imzml_files f;
    int rc = imzml_files_resolve(path, &f, err);
    if (rc)
        return rc;
    if (omsi_path_list_add(files, f.imzml) || omsi_path_list_add(files, f.ibd))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    imzml_files_free(&f);
    return rc;
}

typedef struct imzml_reader {
    omsi_reader base;
    omsi_open_options opts;
    imzml_files files;
    imzml_index ix;
    int fd;
    bool processed;           /* by offsets */
    bool binned;              /* processed on a ppm axis */
    imzml_ppm_axis ppm;
    uint64_t mz_unsorted;     /* exact union: m/z arrays the reader had to sort */
    uint32_t min_x, min_y;
    uint64_t nx, ny, nz;
    omsi_dtype dtype, mz_dtype;
    double *mz;
    double *values, *mz_values;  /* one spectrum as doubles */
    double *accumulate;          /* processed: nz bins */
    void *out;                   /* nz values of dtype */
    unsigned char *scratch;
    size_t scratch_size;
    size_t next;
    struct imzml_pixel *pixels;  /* by pixel key, for read_spectrum */
    imzml_checksum sum;          /* the declared .ibd checksum */
    size_t random_reads;         /* read_spectrum calls: the verdict after ix.count */
    uint64_t n_skipped;          /* spectra with zero points, left out (as mzML's) */
    char skipped_ids[512];       /* the first of them, "index (x, y)" as written */
} imzml_reader;

/* Where the spectrum of one pixel is: key = x * ny + y (0-based). */
typedef struct imzml_pixel {
    uint64_t key;
    size_t spectrum;
} imzml_pixel;

static size_t one_dataset(omsi_reader *r) { (void)r; return 1; }

static int select_dataset(omsi_reader *r, size_t i, omsi_error *err)
{
    (void)r;
    return i == 0 ? 0 : omsi_error_set(err, OMSI_ERR_USAGE, "imzml: dataset %zu does not exist", i);
}

static void imzml_info(omsi_reader *base, omsi_dataset_info *out)
{
    imzml_reader *r = (imzml_reader *)base;
    memset(out, 0, sizeof *out);
    out->nx = r->nx;
    out->ny = r->ny;
    out->nz = r->nz;
    out->dtype = r->dtype;
    out->mz_dtype = r->mz_dtype;
    out->n_spectra = r->ix.count;
    out->n_skipped = r->n_skipped;
}

static const double *imzml_mz(omsi_reader *base) { return ((imzml_reader *)base)->mz; }

static size_t no_dependencies(omsi_reader *r, const omsi_dependency **out)
{
    (void)r;
    *out = NULL;
    return 0;
}

static const omsi_metadata *imzml_metadata(omsi_reader *base) { return &((imzml_reader *)base)->ix.metadata; }

static int imzml_rewind(omsi_reader *base, omsi_error *err)
{
    (void)err;
    ((imzml_reader *)base)->next = 0;
    return 0;
}

/* n doubles to the cube type: one loop per type, no dispatch per value */
static void store_all(omsi_dtype t, void *out, const double *v, size_t n)
{
    switch (t) {
    case OMSI_DT_INT32: for (size_t k = 0; k < n; k++) ((int32_t *)out)[k] = (int32_t)v[k]; break;
    case OMSI_DT_FLOAT32: for (size_t k = 0; k < n; k++) ((float *)out)[k] = (float)v[k]; break;
    default: memcpy(out, v, n * sizeof *v); break;
    }
}

/* True when the stored array is the cube's values byte for byte: the
 * intensities of a continuous file, uncompressed, little-endian, of the
 * cube's type (the usual case). */
static bool stored_as_cube_type(const imzml_reader *r, const imzml_array *a)
{
    if (a->zlib || a->length != r->nz || !omsi_host_is_little_endian())
        return false;
    return (a->type == IMZ_F32 && r->dtype == OMSI_DT_FLOAT32) || (a->type == IMZ_I32 && r->dtype == OMSI_DT_INT32) ||
           (a->type == IMZ_F64 && r->dtype == OMSI_DT_FLOAT64);
}

static bool stored_as_cube(const imzml_reader *r, const imzml_array *a)
{
    return !r->processed && stored_as_cube_type(r, a);
}

/* Reads the intensities of s straight into out (stored as the cube's values
 * byte for byte). */
static int read_as_cube(imzml_reader *r, const imzml_array *a, void *out, omsi_error *err)
{
    size_t raw = (size_t)r->nz * omsi_dtype_size(r->dtype);
    int rc = omsi_pread_exact(r->fd, out, raw, a->offset, r->files.ibd, err);
    return rc ? rc : imzml_checksum_feed(&r->sum, r->fd, r->files.ibd, a->offset, (const unsigned char *)out, raw, err);
}

/* What the sums onto the axis make of a value alone in its bin: 0.0 + v
 * (-0.0 becomes 0.0, a signalling NaN a quiet one), in the cube's type,
 * which gives the same bits as the way through doubles. */
static void as_sum_onto_zero(omsi_dtype t, void *out, size_t n)
{
    if (t == OMSI_DT_FLOAT32)
        for (size_t k = 0; k < n; k++)
            ((float *)out)[k] = 0.0f + ((float *)out)[k];
    else if (t == OMSI_DT_FLOAT64)
        for (size_t k = 0; k < n; k++)
            ((double *)out)[k] = 0.0 + ((double *)out)[k];
}

/* The intensities of s onto an axis that is its own m/z array. */
static int read_onto_axis(imzml_reader *r, const imzml_spectrum *s, void *out, omsi_error *err)
{
    int rc = read_as_cube(r, &s->intensity, out, err);
    if (!rc)
        as_sum_onto_zero(r->dtype, out, (size_t)r->nz);
    return rc;
}

/* Decodes spectrum s into out (nz values of r->dtype). */
static int decode(imzml_reader *r, const imzml_spectrum *s, void *out, omsi_error *err)
{
    int rc;
    if (stored_as_cube(r, &s->intensity)) /* no round trip through doubles, no copy */
        return read_as_cube(r, &s->intensity, out, err);
    /* Processed spectra whose m/z array is the axis itself (files often
     * repeat one) and whose intensities are stored as the cube's values:
     * bin k is point k. Marked while the axis was built, the m/z array is
     * not read again (a checksum reads it as a gap). */
    bool onto_axis = r->processed && !r->binned && stored_as_cube_type(r, &s->intensity);
    if (onto_axis && s->mz_is_axis)
        return read_onto_axis(r, s, out, err);
    /* the array stored first is read first, so the checksum's cursor moves
     * on without reading the other one twice (imzml_checksum.c) */
    bool mz_first = r->processed && s->mz.offset < s->intensity.offset;
    if (mz_first && (rc = imzml_read_array(r->fd, r->files.ibd, &s->mz, r->mz_values, &r->scratch,
                                           &r->scratch_size, &r->sum, err)))
        return rc;
    if (onto_axis && mz_first && s->mz.length == r->nz &&
        memcmp(r->mz_values, r->mz, (size_t)r->nz * sizeof *r->mz) == 0)
        return read_onto_axis(r, s, out, err); /* the same, found by reading it */
    rc = imzml_read_array(r->fd, r->files.ibd, &s->intensity, r->values, &r->scratch, &r->scratch_size, &r->sum, err);
    if (rc)
        return rc;
    if (!r->processed) {
        store_all(r->dtype, out, r->values, (size_t)r->nz);
        return 0;
    }
    if (!mz_first && (rc = imzml_read_array(r->fd, r->files.ibd, &s->mz, r->mz_values, &r->scratch,
                                            &r->scratch_size, &r->sum, err)))
        return rc;
    memset(r->accumulate, 0, (size_t)r->nz * sizeof *r->accumulate);
    if (r->binned) {
        for (uint64_t k = 0; k < s->mz.length; k++)
            r->accumulate[imzml_ppm_bin(&r->ppm, r->mz_values[k])] += r->values[k];
    } else if (s->mz.length == r->nz && memcmp(r->mz_values, r->mz, (size_t)r->nz * sizeof *r->mz) == 0) {
        /* the m/z array is the axis itself (processed files often repeat
         * one): bin k is point k; 0.0 + v as the sums below (-0.0 -> 0.0) */
        for (uint64_t k = 0; k < s->mz.length; k++)
            r->accumulate[k] = 0.0 + r->values[k];
    } else {
        /* the value is on the axis; m/z arrays are almost always sorted, so
         * gallop on from the last hit (from the start where one is not) */
        size_t pos = 0, nz = (size_t)r->nz;
        double prev = -INFINITY;
        for (uint64_t k = 0; k < s->mz.length; k++) {
            double v = r->mz_values[k];
            pos = sorted_union_gallop(r->mz, nz, v >= prev ? pos : 0, v);
            prev = v;
            r->accumulate[pos < nz ? pos : nz - 1] += r->values[k];
        }
    }
    store_all(r->dtype, out, r->accumulate, (size_t)r->nz);
    return 0;
}

/* Decides the declared checksum (reading what was not read yet), records it
 * in the metadata and, with strict_checksums, makes a mismatch an error. */
static int verdict(imzml_reader *r, omsi_error *err)
{
    if (!r->sum.pending)
        return 0;
    int rc = imzml_checksum_finish(&r->sum, r->fd, r->files.ibd, err);
    if (rc)
        return rc;
    if (omsi_meta_text(&r->ix.metadata, OMSI_COLL_DATASET, "checksum", omsi_checksum_name(r->sum.state), NULL,
                       r->ix.header.checksum_kind == 1 ? "IMS:1000090" : "IMS:1000091"))
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", r->files.imzml);
    if (r->sum.state != OMSI_CHECKSUM_MISMATCH)
        return 0;
    if (r->opts.strict_checksums)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %s is %s, but %s declares %s (--strict-checksums)",
                              r->files.ibd, r->sum.algorithm, r->sum.actual, r->files.imzml, r->sum.expected);
    omsi_log(r->opts.log, OMSI_LOG_WARNING, "%s: %s is %s, but %s declares %s", r->files.ibd, r->sum.algorithm,
             r->sum.actual, r->files.imzml, r->sum.expected);
    return 0;
}

static int imzml_checksum_op(omsi_reader *base, omsi_checksum_state *out, omsi_error *err)
{
    imzml_reader *r = (imzml_reader *)base;
    int rc = verdict(r, err);
    *out = r->sum.state;
    return rc;
}

static int imzml_next(omsi_reader *base, omsi_spectrum *out, omsi_error *err)
{
    imzml_reader *r = (imzml_reader *)base;
    if (r->next >= r->ix.count)
        return verdict(r, err);
    const imzml_spectrum *s = &r->ix.spectra[r->next];
    int rc = decode(r, s, r->out, err);
    if (rc)
        return rc;
    out->x = s->x - r->min_x;
    out->y = s->y - r->min_y;
    out->z = 0;
    out->intensities = r->out;
    r->next++;
    return 1;
}

static int compare_pixels(const void *a, const void *b)
{
    uint64_t x = ((const imzml_pixel *)a)->key, y = ((const imzml_pixel *)b)->key;
    return x < y ? -1 : x > y;
}

/* Where the spectrum of pixel (x, y) is, or NULL where it has none. */
static const imzml_pixel *pixel_at(const imzml_reader *r, uint64_t x, uint64_t y)
{
    imzml_pixel want = {.key = x * r->ny + y};
    return x < r->nx && y < r->ny ? bsearch(&want, r->pixels, r->ix.count, sizeof *r->pixels, compare_pixels)
                                  : NULL;
}

/* Random access (both layouts can seek: every array has its own offset), so
 * the writer can read in tile order instead of re-reading the file. */
static int imzml_read_spectrum(omsi_reader *base, uint64_t x, uint64_t y, void *buf, omsi_error *err)
{
    imzml_reader *r = (imzml_reader *)base;
    size_t bytes = (size_t)r->nz * omsi_dtype_size(r->dtype);
    const imzml_pixel *hit = pixel_at(r, x, y);
    if (!hit) {
        memset(buf, 0, bytes);
        return 1;
    }
    /* into the caller's buffer directly (the writer's block of values) */
    int rc = decode(r, &r->ix.spectra[hit->spectrum], buf, err);
    if (!rc && ++r->random_reads == r->ix.count)
        rc = verdict(r, err); /* every pixel read once: a whole conversion */
    return rc;
}

/* Values z0 .. z0 + n - 1 of one pixel: one ranged read where the stored
 * array is the cube's values byte for byte (continuous files, the usual
 * case), else the whole spectrum decoded and the part copied. */
static int imzml_read_values(omsi_reader *base, uint64_t x, uint64_t y, uint64_t z0, uint64_t n, void *buf,
                             omsi_error *err)
{
    imzml_reader *r = (imzml_reader *)base;
    int rc = omsi_reader_check_values_range(r->files.ibd, z0, n, r->nz, err);
    if (rc)
        return rc;
    size_t item = omsi_dtype_size(r->dtype);
    const imzml_pixel *hit = pixel_at(r, x, y);
    if (!hit) {
        memset(buf, 0, (size_t)n * item);
        return 1;
    }
    const imzml_spectrum *s = &r->ix.spectra[hit->spectrum];
    if (!stored_as_cube(r, &s->intensity)) {
        if ((rc = decode(r, s, r->out, err)) == 0)
            memcpy(buf, (const unsigned char *)r->out + z0 * item, (size_t)n * item);
        return rc;
    }
    uint64_t offset = s->intensity.offset + z0 * item;
    rc = omsi_pread_exact(r->fd, buf, (size_t)n * item, offset, r->files.ibd, err);
    return rc ? rc : imzml_checksum_feed(&r->sum, r->fd, r->files.ibd, offset, buf, (size_t)n * item, err);
}

static void imzml_close(omsi_reader *base)
{
    imzml_reader *r = (imzml_reader *)base;
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    imzml_index_free(&r->ix);
    imzml_files_free(&r->files);
    free(r->mz);
    free(r->values);
    free(r->mz_values);
    free(r->accumulate);
    free(r->out);
    free(r->scratch);
    free(r->pixels);
    imzml_checksum_free(&r->sum);
    free(r);
}

static const omsi_reader_ops imzml_ops = {
    .number_of_datasets = one_dataset,
    .set_dataset_selection = select_dataset,
    .info = imzml_info,
    .mz = imzml_mz,
    .dependencies = no_dependencies,
    .metadata = imzml_metadata,
    .rewind = imzml_rewind,
    .next_spectrum = imzml_next,
    .read_spectrum = imzml_read_spectrum,
    .read_values = imzml_read_values,
    .checksum = imzml_checksum_op,
    .close = imzml_close,
};

/* Spectra with zero points carry nothing to the cube: left out of the
 * index (so they take no pixel), counted and named like mzML's. */
static void skip_empty(imzml_reader *r)
{
    enum { MAX_NAMED = 10 };
    size_t kept = 0;
    for (size_t i = 0; i < r->ix.count; i++) {
        const imzml_spectrum *s = &r->ix.spectra[i];
        if (s->intensity.length > 0 && s->mz.length > 0) {
            r->ix.spectra[kept++] = *s;
            continue;
        }
        size_t used = strlen(r->skipped_ids);
        if (r->n_skipped++ < MAX_NAMED)
            snprintf(r->skipped_ids + used, sizeof r->skipped_ids - used, "%s%zu (%u, %u)", used ? ", " : "", i,
                     s->x, s->y);
    }
    if (r->n_skipped > MAX_NAMED && strlen(r->skipped_ids) + 6 < sizeof r->skipped_ids)
        strcat(r->skipped_ids, ", ...");
    r->ix.count = kept;
}

/* Grid from the positions; two spectra on one pixel are an error. */
static int plan_grid(imzml_reader *r, omsi_error *err)
{
    uint32_t max_x = 0, max_y = 0;
    r->min_x = r->min_y = UINT32_MAX;
    for (size_t i = 0; i < r->ix.count; i++) {
        const imzml_spectrum *s = &r->ix.spectra[i];
        r->min_x = s->x < r->min_x ? s->x : r->min_x;
        r->min_y = s->y < r->min_y ? s->y : r->min_y;
        max_x = s->x > max_x ? s->x : max_x;
        max_y = s->y > max_y ? s->y : max_y;
    }
    r->nx = (uint64_t)max_x - r->min_x + 1;
    r->ny = (uint64_t)max_y - r->min_y + 1;
    int rc = omsi_budget_check(r->opts.memory_limit, (uint64_t)r->ix.count * sizeof *r->pixels, r->files.imzml,
                               "the pixel index", err);
    if (rc)
        return rc;
    r->pixels = malloc(r->ix.count * sizeof *r->pixels);
    if (!r->pixels)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->ix.count; i++) {
        r->pixels[i].key = (uint64_t)(r->ix.spectra[i].x - r->min_x) * r->ny + (r->ix.spectra[i].y - r->min_y);
        r->pixels[i].spectrum = i;
    }
    qsort(r->pixels, r->ix.count, sizeof *r->pixels, compare_pixels);
    for (size_t i = 1; i < r->ix.count && !rc; i++)
        if (r->pixels[i].key == r->pixels[i - 1].key)
            rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: two spectra at pixel (%llu, %llu)", r->files.imzml,
                                (unsigned long long)(r->pixels[i].key / r->ny + r->min_x),
                                (unsigned long long)(r->pixels[i].key % r->ny + r->min_y));
    return rc;
}

typedef struct ibd_span {
    uint64_t start, end; /* bytes [start, end) of the .ibd */
    bool mz;
} ibd_span;

static int compare_spans(const void *a, const void *b)
{
    const ibd_span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static ibd_span span_of(const imzml_array *a, bool mz)
{
    uint64_t bytes = a->zlib ? a->encoded : a->length * imzml_type_size(a->type); /* checked by the index */
    return (ibd_span){.start = a->offset, .end = a->offset + bytes, .mz = mz};
}

/* Arrays whose bytes overlap in the .ibd are legal but suspicious (a writer
 * bug, or a crafted file reading one block as many spectra): one warning
 * per file. Identical m/z arrays are the continuous layout (one shared m/z
 * array) and not counted. */
static int warn_overlaps(imzml_reader *r, omsi_error *err)
{
    size_t n = r->ix.count * 2;
    int rc = omsi_budget_check(r->opts.memory_limit, (uint64_t)n * sizeof(ibd_span), r->files.imzml,
                               "the .ibd overlap check", err);
    if (rc)
        return rc;
    ibd_span *spans = malloc((n ? n : 1) * sizeof *spans);
    if (!spans)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", r->files.imzml);
    for (size_t i = 0; i < r->ix.count; i++) {
        spans[2 * i] = span_of(&r->ix.spectra[i].mz, true);
        spans[2 * i + 1] = span_of(&r->ix.spectra[i].intensity, false);
    }
    qsort(spans, n, sizeof *spans, compare_spans);
    size_t overlaps = 0, first = 0;
    uint64_t reach = 0; /* end of the furthest span so far */
    const ibd_span *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const ibd_span *s = &spans[i];
        if (s->start == s->end)
            continue;
        bool shared_mz = prev && s->mz && prev->mz && s->start == prev->start && s->end == prev->end;
        if (prev && !shared_mz && s->start < reach && overlaps++ == 0)
            first = i;
        if (!shared_mz || !prev)
            prev = s;
        reach = s->end > reach ? s->end : reach;
    }
    if (overlaps)
        omsi_log(r->opts.log, OMSI_LOG_WARNING,
                 "%s: %zu arrays overlap other arrays in the .ibd (first at offset %llu); legal, but suspicious",
                 r->files.imzml, overlaps, (unsigned long long)spans[first].start);
    free(spans);
    return 0;
}

static omsi_dtype cube_type(imzml_type t, bool binned)
{
    if (binned)
        return OMSI_DT_FLOAT64; /* sums of several points */
    return t == IMZ_F32 ? OMSI_DT_FLOAT32 : t == IMZ_I32 ? OMSI_DT_INT32 : OMSI_DT_FLOAT64;
}

static int build_axis(imzml_reader *r, omsi_error *err)
{
    const imzml_spectrum *first = &r->ix.spectra[0];
    r->processed = false;
    uint64_t max_len = 0;
    for (size_t i = 0; i < r->ix.count; i++) {
        const imzml_array *a = &r->ix.spectra[i].mz;
        if (a->offset != first->mz.offset || a->length != first->mz.length)
            r->processed = true;
        max_len = a->length > max_len ? a->length : max_len;
    }
    uint64_t max_points = r->opts.max_axis_points ? r->opts.max_axis_points : DEFAULT_MAX_AXIS;
    /* the axis union: its values, pending runs of half as many, a merge copy: 24 bytes a point */
    uint64_t budget_points = omsi_budget_limit(r->opts.memory_limit) / 24;
    max_points = budget_points < max_points ? budget_points : max_points;
    int rc = 0;
    if (!r->processed && r->opts.axis_mode == OMSI_AXIS_BIN_PPM)
        omsi_log(r->opts.log, OMSI_LOG_WARNING,
                 "%s: continuous: every spectrum shares one m/z array, so --axis ppm:%g has nothing to do (the "
                 "shared array is the axis)",
                 r->files.imzml, r->opts.ppm > 0 ? r->opts.ppm : 5);
    if (!r->processed) {
        r->nz = first->mz.length;
        r->mz = malloc((size_t)(r->nz ? r->nz : 1) * sizeof *r->mz);
        if (!r->mz)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        rc = imzml_read_array(r->fd, r->files.ibd, &first->mz, r->mz, &r->scratch, &r->scratch_size, &r->sum, err);
        for (uint64_t k = 1; !rc && k < r->nz; k++)
            if (!(r->mz[k] > r->mz[k - 1])) {
                omsi_log(r->opts.log, OMSI_LOG_WARNING, "%s: m/z axis not increasing at value %llu",
                         r->files.ibd, (unsigned long long)k);
                break;
            }
    } else if (r->opts.axis_mode == OMSI_AXIS_BIN_PPM) {
        r->binned = true;
        rc = imzml_axis_ppm(&r->ix, r->fd, r->files.ibd, r->opts.ppm > 0 ? r->opts.ppm : 5, max_points, &r->ppm,
                            &r->mz, &r->nz, err);
    } else {
        rc = imzml_axis_union(&r->ix, r->fd, r->files.ibd, max_points, &r->mz, &r->nz, &r->mz_unsorted, err);
    }
    if (rc)
        return rc;
    if (r->nz == 0)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectra have no values", r->files.imzml);
    r->dtype = cube_type(first->intensity.type, r->binned);
    /* ppm bin edges stay float64: rounded to float32 they would move past points */
    r->mz_dtype = first->mz.type == IMZ_F32 && !r->binned ? OMSI_DT_FLOAT32 : OMSI_DT_FLOAT64;
    size_t per_spectrum = (size_t)(max_len > r->nz ? max_len : r->nz);
    uint64_t need;
    if (!omsi_mul_u64(per_spectrum, 16, &need) || !omsi_add_u64(need, r->nz * 24, &need))
        need = UINT64_MAX;
    char what[96];
    snprintf(what, sizeof what, "spectra of %llu values on a %llu-value axis", (unsigned long long)max_len,
             (unsigned long long)r->nz);
    if ((rc = omsi_budget_check(r->opts.memory_limit, need, r->files.imzml, what, err)))
        return rc;
    r->values = malloc(per_spectrum * sizeof *r->values);
    r->mz_values = malloc(per_spectrum * sizeof *r->mz_values);
    r->accumulate = malloc((size_t)r->nz * sizeof *r->accumulate);
    r->out = malloc((size_t)r->nz * 8);
    if (!r->values || !r->mz_values || !r->accumulate || !r->out)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for %llu-value spectra", (unsigned long long)per_spectrum);
    return 0;
}

static int describe(imzml_reader *r)
{
    omsi_metadata *md = &r->ix.metadata;
    char axis[224];
    if (!r->processed)
        snprintf(axis, sizeof axis, "continuous: the shared m/z array (%llu values)", (unsigned long long)r->nz);
    else if (r->binned)
        snprintf(axis, sizeof axis, "processed: geometric bins of %g ppm from m/z %g (values: lower edges), intensities summed per bin",
                 r->opts.ppm > 0 ? r->opts.ppm : 5, r->ppm.lo);
    else
        snprintf(axis, sizeof axis, "processed: exact union of all m/z values (%llu distinct)", (unsigned long long)r->nz);
    return omsi_meta_text(md, OMSI_COLL_DATASET, "mz_axis", axis, NULL, NULL) ||
           omsi_meta_text(md, OMSI_COLL_DATASET, "mode_by_offsets", r->processed ? "processed" : "continuous", NULL, NULL) ||
           omsi_meta_text(md, OMSI_COLL_DATASET, "mode_declared",
                          r->ix.header.declared_mode_text[0] ? r->ix.header.declared_mode_text : "none", NULL, NULL) ||
           omsi_meta_text(md, OMSI_COLL_DATASET, "uuid", r->ix.header.uuid[0] ? r->ix.header.uuid : "none",
                          NULL, "IMS:1000080") ||
           omsi_meta_int(md, OMSI_COLL_DATASET, "acquired_pixels", (int64_t)r->ix.count, NULL, NULL) ||
           omsi_meta_int(md, OMSI_COLL_DATASET, "origin_x", r->min_x, NULL, NULL) ||
           omsi_meta_int(md, OMSI_COLL_DATASET, "origin_y", r->min_y, NULL, NULL) ||
           (r->processed && !r->binned &&
            (omsi_meta_int(md, OMSI_COLL_DATASET, "mz_arrays_sorted_by_reader", (int64_t)r->mz_unsorted, NULL, NULL) ||
             omsi_meta_describe_last(md, "How many m/z arrays were not in increasing order and were sorted by the "
                                         "reader to build the common m/z axis"))) ||
           (r->n_skipped &&
            (omsi_meta_int(md, OMSI_COLL_DATASET, "skipped_spectra", (int64_t)r->n_skipped, NULL, NULL) ||
             omsi_meta_text(md, OMSI_COLL_DATASET, "skipped_spectrum_ids", r->skipped_ids, NULL, NULL)));
}

static int imzml_open(const char *path, const omsi_open_options *opts, omsi_reader **out, omsi_error *err)
{
    *out = NULL;
    imzml_reader *r = calloc(1, sizeof *r);
    if (!r)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    r->base.format = &omsi_format_imzml;
    r->base.ops = &imzml_ops;
    r->opts = *opts;
    r->fd = -1;
    uint64_t ibd_size = 0;
    imzml_header h;
    int rc = imzml_files_resolve(path, &r->files, err);
    if (!rc && !omsi_is_regular_file(r->files.imzml))
        rc = omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: no such file", r->files.imzml);
    if (!rc) { /* missing: still coming; a FIFO or device: never data */
        omsi_file_kind kind = omsi_companion_kind(r->files.ibd, NULL, err);
        if (kind != OMSI_FILE_REGULAR)
            rc = kind == OMSI_FILE_MISSING ? OMSI_ERR_INCOMPLETE
                 : kind == OMSI_FILE_NOT_REGULAR ? OMSI_ERR_FORMAT : OMSI_ERR_IO;
    }
    if (!rc)
        rc = omsi_file_size(r->files.ibd, &ibd_size, err);
    if (!rc && ibd_size < 16)
        rc = omsi_error_set(err, OMSI_ERR_INCOMPLETE, "%s: %llu bytes, shorter than its UUID", r->files.ibd,
                            (unsigned long long)ibd_size);
    if (!rc)
        rc = imzml_read_index_limited(r->files.imzml, ibd_size, opts->memory_limit, &r->ix, err);
    if (!rc) {
        h = r->ix.header;
        if (!h.is_imzml)
            rc = omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: mzML without imaging terms", r->files.imzml);
    }
    if (!rc)
        rc = check_uuid(&r->ix.header, &r->files, err);
    if (!rc && !r->ix.header.uuid[0])
        omsi_log(opts->log, OMSI_LOG_WARNING, "%s: no UUID (IMS:1000080); the .ibd cannot be matched", r->files.imzml);
    if (!rc)
        skip_empty(r);
    if (!rc && r->ix.count == 0)
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: no spectra%s", r->files.imzml,
                            r->n_skipped ? " with points" : "");
    if (!rc)
        rc = imzml_checksum_start(&r->sum, &r->ix.header, ibd_size, err);
    if (!rc && !r->sum.pending)
        rc = omsi_meta_text(&r->ix.metadata, OMSI_COLL_DATASET, "checksum", "absent", NULL, NULL)
                 ? omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory") : 0;
    if (!rc && (r->fd = open(r->files.ibd, O_RDONLY | O_CLOEXEC)) < 0)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", r->files.ibd);
    if (!rc)
        rc = plan_grid(r, err);
    if (!rc)
        rc = omsi_reader_check_grid(r->files.imzml, r->nx, r->ny, 1, 1, r->ix.count, opts->memory_limit, err);
    if (!rc)
        rc = build_axis(r, err);
    if (!rc)
        rc = omsi_reader_check_grid(r->files.imzml, r->nx, r->ny, r->nz, omsi_dtype_size(r->dtype), r->ix.count,
                                    opts->memory_limit, err);
    if (!rc)
        rc = warn_overlaps(r, err);
    if (!rc && ((r->processed ? 2 : 1) != r->ix.header.declared_mode) && r->ix.header.declared_mode)
        omsi_log(opts->log, OMSI_LOG_WARNING, "%s: declared %s, but the offsets say %s", r->files.imzml,
                 r->ix.header.declared_mode_text, r->processed ? "processed" : "continuous");
    if (!rc && describe(r))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (rc) {
        imzml_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return 0;
}

static int imzml_size_of_reader(omsi_reader *r, uint64_t *bytes, omsi_error *err)
{
    imzml_reader *ir = (imzml_reader *)r;
    if (!omsi_mul4_u64(ir->nx, ir->ny, ir->nz, omsi_dtype_size(ir->dtype), bytes))
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: cube size overflows", ir->files.imzml);
    return 0;
}

static int imzml_size(const char *path, uint64_t *bytes, omsi_error *err)
{
    return omsi_format_size_by_opening(&omsi_format_imzml, path, bytes, err);
}

const omsi_format omsi_format_imzml = {
    .name = "imzml",
    .bastet_name = "imzml_file",
    .description = "imzML (.imzML + .ibd): continuous and processed, exact or ppm m/z axis",
    .supports_regions = false,
    .supports_multidata = false,
    .supports_multiexperiment = false,
    .is_valid_dataset = imzml_is_valid,
    .size = imzml_size,
    .size_of_reader = imzml_size_of_reader,
    .list_files = imzml_list_files,
    .open = imzml_open,
};
