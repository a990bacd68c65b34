/* Analyze 7.5 "img" reader (.hdr + .t2m + .img), spec section 1.
 *
 * The cube follows BASTet's mapping (section 1.5): cube index 0 runs over
 * dim[3] and index 1 over dim[2], so the cube in C order is byte for byte the
 * .img file and file spectrum s is cube pixel (s / dim[2], s % dim[2]).
 * Intensities keep the file's type (BASTet forces uint16). */
#include "readers/img_header.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Spectra are read in batches of about this many bytes. */
enum { IMG_READ_BATCH_BYTES = 4 << 20 };
/* The .t2m is converted in blocks of this many values. */
enum { IMG_MZ_BLOCK = 16384 };
/* Largest m/z axis accepted: 2^27 values (1 GiB as float64). */
#define IMG_MAX_MZ_VALUES ((uint64_t)1 << 27)

extern const omsi_format omsi_format_img;

/* What the cheap classification learns: files, header, sizes. */
typedef struct img_probe {
    omsi_img_files files;
    omsi_img_header header;
    omsi_dtype dtype;
    uint64_t nx, ny, nz;           /* cube shape (dim[3], dim[2], t2m/4) */
    uint64_t data_offset;          /* vox_offset in bytes */
    uint64_t expected_img_bytes;   /* data_offset + nx*ny*nz*item */
    uint64_t img_bytes, t2m_bytes;
} img_probe;

static void probe_free(img_probe *p) { omsi_img_files_free(&p->files); }

/* Fills p and returns the validity; why explains anything but VALID. */
static omsi_validity probe(const char *path, bool force_unsigned, img_probe *p, omsi_error *why)
{
    memset(p, 0, sizeof *p);
    int rc = omsi_img_files_resolve(path, &p->files, why);
    if (rc)
        return rc == OMSI_ERR_NOT_FORMAT ? OMSI_NOT_THIS_FORMAT : OMSI_BROKEN;
    omsi_file_kind hdr_kind = omsi_companion_kind(p->files.hdr, NULL, NULL);
    omsi_file_kind t2m_kind = omsi_companion_kind(p->files.t2m, NULL, NULL);
    omsi_file_kind img_kind = omsi_companion_kind(p->files.img, NULL, NULL);
    bool have_hdr = hdr_kind == OMSI_FILE_REGULAR;
    bool have_t2m = t2m_kind == OMSI_FILE_REGULAR;
    bool have_img = img_kind == OMSI_FILE_REGULAR;
    /* A FIFO or device (e.g. a symlink to /dev/zero) in the triplet never
     * becomes data: broken, not "missing, waiting". */
    if (!have_hdr && hdr_kind != OMSI_FILE_MISSING &&
        (t2m_kind != OMSI_FILE_MISSING || img_kind != OMSI_FILE_MISSING)) {
        omsi_companion_kind(p->files.hdr, NULL, why);
        return OMSI_BROKEN;
    }
    if (!have_hdr) {
        /* A .t2m is MSI-specific: with it the header is probably still coming. */
        if (have_t2m) {
            omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: missing (have %s%s)", p->files.hdr,
                           p->files.t2m, have_img ? " and the .img" : "");
            return OMSI_INCOMPLETE;
        }
        omsi_error_set(why, OMSI_ERR_NOT_FORMAT, "%s: no such header file", p->files.hdr);
        return OMSI_NOT_THIS_FORMAT;
    }
    unsigned char buf[OMSI_IMG_HDR_VARIANT];
    uint64_t hdr_bytes = 0;
    int fd = open(p->files.hdr, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || omsi_file_size(p->files.hdr, &hdr_bytes, why)) {
        if (fd >= 0)
            close(fd);
        else
            omsi_error_errno(why, OMSI_ERR_IO, errno, "%s", p->files.hdr);
        return OMSI_BROKEN;
    }
    size_t want = hdr_bytes < sizeof buf ? (size_t)hdr_bytes : sizeof buf;
    rc = omsi_pread_exact(fd, buf, want, 0, p->files.hdr, why);
    close(fd);
    if (rc)
        return OMSI_BROKEN;
    rc = omsi_img_header_parse(buf, want, p->files.hdr, &p->header, why);
    if (rc == OMSI_ERR_NOT_FORMAT)
        return OMSI_NOT_THIS_FORMAT;
    if (rc == OMSI_ERR_INCOMPLETE)
        return OMSI_INCOMPLETE;
    if (hdr_bytes != OMSI_IMG_HDR_STANDARD && hdr_bytes != OMSI_IMG_HDR_VARIANT) {
        omsi_error_set(why, OMSI_ERR_FORMAT, "%s: header file is %llu bytes, expected 348 or 384",
                       p->files.hdr, (unsigned long long)hdr_bytes);
        return hdr_bytes < (uint64_t)p->header.sizeof_hdr ? OMSI_INCOMPLETE : OMSI_BROKEN;
    }
    if (omsi_img_dtype(&p->header, force_unsigned, &p->dtype, p->files.hdr, why))
        return OMSI_BROKEN;
    p->nx = p->header.dim[3];
    p->ny = p->header.dim[2];
    if (p->nx == 0 || p->ny == 0) {
        omsi_error_set(why, OMSI_ERR_FORMAT, "%s: image is %llu x %llu pixels (dim[2], dim[3] must be > 0)",
                       p->files.hdr, (unsigned long long)p->header.dim[2],
                       (unsigned long long)p->header.dim[3]);
        return OMSI_BROKEN;
    }
    float vox = p->header.vox_offset;
    if (!(vox >= 0.0f && vox < 1e12f) || vox != (float)(uint64_t)vox) {
        omsi_error_set(why, OMSI_ERR_FORMAT, "%s: vox_offset %g is not a byte offset", p->files.hdr,
                       (double)vox);
        return OMSI_BROKEN;
    }
    p->data_offset = (uint64_t)vox;
    if (t2m_kind != OMSI_FILE_REGULAR && t2m_kind != OMSI_FILE_MISSING) {
        omsi_companion_kind(p->files.t2m, NULL, why);
        return OMSI_BROKEN;
    }
    if (img_kind != OMSI_FILE_REGULAR && img_kind != OMSI_FILE_MISSING) {
        omsi_companion_kind(p->files.img, NULL, why);
        return OMSI_BROKEN;
    }
    if (!have_t2m || !have_img) {
        omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: missing", have_t2m ? p->files.img : p->files.t2m);
        return OMSI_INCOMPLETE;
    }
    if (omsi_file_size(p->files.t2m, &p->t2m_bytes, why) ||
        omsi_file_size(p->files.img, &p->img_bytes, why))
        return OMSI_BROKEN;
    if (p->t2m_bytes == 0) {
        omsi_error_set(why, OMSI_ERR_INCOMPLETE, "%s: empty (no m/z values yet)", p->files.t2m);
        return OMSI_INCOMPLETE;
    }
    /* Copies write in blocks of many values, so a size that is not a whole
     * number of values is a broken axis, not one still arriving. */
    if (p->t2m_bytes % 4) {
        omsi_error_set(why, OMSI_ERR_FORMAT, "%s: %llu bytes is not a whole number of float32 m/z values",
                       p->files.t2m, (unsigned long long)p->t2m_bytes);
        return OMSI_BROKEN;
    }
    p->nz = p->t2m_bytes / 4;
    /* The axis is held in memory (8 bytes per value) and one spectrum is the
     * smallest read: refuse absurd axes before any allocation. */
    if (p->nz > IMG_MAX_MZ_VALUES) {
        omsi_error_set(why, OMSI_ERR_FORMAT, "%s: %llu m/z values, more than the %llu supported",
                       p->files.t2m, (unsigned long long)p->nz,
                       (unsigned long long)IMG_MAX_MZ_VALUES);
        return OMSI_BROKEN;
    }
    uint64_t cube = 0;
    if (!omsi_mul4_u64(p->nx, p->ny, p->nz, omsi_dtype_size(p->dtype), &cube) ||
        !omsi_add_u64(cube, p->data_offset, &p->expected_img_bytes)) {
        omsi_error_set(why, OMSI_ERR_FORMAT, "%s: cube size overflows", p->files.hdr);
        return OMSI_BROKEN;
    }
    if (p->img_bytes != p->expected_img_bytes) {
        omsi_error_set(why, OMSI_ERR_FORMAT,
                       "%s: %llu bytes, but %llu x %llu pixels x %llu m/z bins (from %s) x %zu bytes%s need %llu",
                       p->files.img, (unsigned long long)p->img_bytes, (unsigned long long)p->ny,
                       (unsigned long long)p->nx, (unsigned long long)p->nz, p->files.t2m,
                       omsi_dtype_size(p->dtype), p->data_offset ? " + vox_offset" : "",
                       (unsigned long long)p->expected_img_bytes);
        /* dim[] is read unsigned (spec 1.3), but a pixel count that is
         * negative as the int16 Analyze declares, with an .img that does
         * not fit it, is a broken header: never "still being written". */
        int16_t sx = (int16_t)p->header.dim[2], sy = (int16_t)p->header.dim[3];
        if (sx < 0 || sy < 0) {
            omsi_error_set(why, OMSI_ERR_FORMAT,
                           "%s: dim[2] x dim[3] = %d x %d is negative (as unsigned %u x %u pixels the "
                           "cube needs %llu bytes, %s has %llu)",
                           p->files.hdr, sx, sy, p->header.dim[2], p->header.dim[3],
                           (unsigned long long)p->expected_img_bytes, p->files.img,
                           (unsigned long long)p->img_bytes);
            return OMSI_BROKEN;
        }
        /* Short: maybe still being written. Long: broken. */
        return p->img_bytes < p->expected_img_bytes ? OMSI_INCOMPLETE : OMSI_BROKEN;
    }
    return OMSI_VALID;
}

static omsi_validity img_is_valid(const char *path, omsi_error *why)
{
    omsi_error scratch = {0};
    img_probe p;
    omsi_validity v = probe(path, false, &p, why ? why : &scratch);
    probe_free(&p);
    return v;
}

static int img_size(const char *path, uint64_t *bytes, omsi_error *err)
{
    img_probe p;
    omsi_error scratch = {0};
    omsi_error *e = err ? err : &scratch;
    omsi_validity v = probe(path, false, &p, e);
    if (v == OMSI_VALID)
        *bytes = p.expected_img_bytes - p.data_offset;
    probe_free(&p);
    return v == OMSI_VALID ? 0 : (e->status ? e->status : OMSI_ERR_FORMAT);
}

static int img_list_files(const char *path, omsi_path_list *files, omsi_error *err)
{
    omsi_img_files f;
    int rc = omsi_img_files_resolve(path, &f, err);
    if (rc)
        return rc;
    if (omsi_path_list_add(files, f.hdr) || omsi_path_list_add(files, f.t2m) ||
        omsi_path_list_add(files, f.img))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    omsi_img_files_free(&f);
    return rc;
}

typedef struct img_reader {
    omsi_reader base;
    img_probe probe;
    omsi_open_options opts;
    int fd;
    bool swap;              /* file byte order differs from the host */
    size_t item;            /* bytes per value */
    size_t spectrum_bytes;
    double *mz;
    omsi_metadata metadata;
    unsigned char *batch;   /* batch_count spectra starting at spectrum batch_first */
    uint64_t batch_first, batch_count, batch_capacity;
    uint64_t next;          /* next spectrum the iterator returns */
    bool warned_negative;
} img_reader;

static size_t img_number_of_datasets(omsi_reader *r) { (void)r; return 1; }

static int img_set_dataset(omsi_reader *r, size_t index, omsi_error *err)
{
    (void)r;
    return index == 0 ? 0 : omsi_error_set(err, OMSI_ERR_USAGE, "img: dataset %zu does not exist", index);
}

static void img_info(omsi_reader *base, omsi_dataset_info *out)
{
    img_reader *r = (img_reader *)base;
    memset(out, 0, sizeof *out);
    out->nx = r->probe.nx;
    out->ny = r->probe.ny;
    out->nz = r->probe.nz;
    out->dtype = r->probe.dtype;
    out->mz_dtype = OMSI_DT_FLOAT32;
    out->n_spectra = r->probe.nx * r->probe.ny;
}

static const double *img_mz(omsi_reader *base) { return ((img_reader *)base)->mz; }

static size_t img_dependencies(omsi_reader *r, const omsi_dependency **out)
{
    (void)r;
    *out = NULL;
    return 0;
}

static const omsi_metadata *img_metadata(omsi_reader *base) { return &((img_reader *)base)->metadata; }

static int img_rewind(omsi_reader *base, omsi_error *err)
{
    (void)err;
    ((img_reader *)base)->next = 0;
    return 0;
}

static void check_negative(img_reader *r, const void *values)
{
    if (r->warned_negative || r->probe.dtype != OMSI_DT_INT16)
        return;
    const int16_t *v = values;
    for (uint64_t k = 0; k < r->probe.nz; k++)
        if (v[k] < 0) {
            r->warned_negative = true;
            omsi_log(r->opts.log, OMSI_LOG_WARNING,
                     "%s: negative int16 intensity %d; the exporter may have written unsigned "
                     "counts (open with force_unsigned / --force-unsigned)",
                     r->probe.files.img, v[k]);
            return;
        }
}

/* Reads n values from byte offset of the .img into buf, in host byte order. */
static int read_values_at(img_reader *r, uint64_t offset, uint64_t n, void *buf, omsi_error *err)
{
    int rc = omsi_pread_exact(r->fd, buf, (size_t)(n * r->item), offset, r->probe.files.img, err);
    if (rc == 0 && r->swap)
        omsi_swap_items(buf, r->item, (size_t)n);
    return rc;
}

/* Reads spectra [first, first+count) into buf. */
static int read_spectra(img_reader *r, uint64_t first, uint64_t count, void *buf, omsi_error *err)
{
    return read_values_at(r, r->probe.data_offset + first * r->spectrum_bytes, count * r->probe.nz, buf, err);
}

static int img_next(omsi_reader *base, omsi_spectrum *out, omsi_error *err)
{
    img_reader *r = (img_reader *)base;
    uint64_t total = r->probe.nx * r->probe.ny;
    if (r->next >= total)
        return 0;
    if (r->next < r->batch_first || r->next >= r->batch_first + r->batch_count) {
        uint64_t count = total - r->next < r->batch_capacity ? total - r->next : r->batch_capacity;
        r->batch_count = 0;
        int rc = read_spectra(r, r->next, count, r->batch, err);
        if (rc)
            return rc;
        r->batch_first = r->next;
        r->batch_count = count;
    }
    const unsigned char *values = r->batch + (r->next - r->batch_first) * r->spectrum_bytes;
    check_negative(r, values);
    out->x = r->next / r->probe.ny;
    out->y = r->next % r->probe.ny;
    out->z = 0;
    out->intensities = values;
    r->next++;
    return 1;
}

/* Values z0 .. z0 + n - 1 of one spectrum: spectra are stored whole, one
 * after another, so the part is one read (the writer's blocks of m/z). */
static int img_read_values(omsi_reader *base, uint64_t x, uint64_t y, uint64_t z0, uint64_t n, void *buf,
                           omsi_error *err)
{
    img_reader *r = (img_reader *)base;
    int rc = omsi_reader_check_values_range(r->probe.files.img, z0, n, r->probe.nz, err);
    if (rc)
        return rc;
    if (x >= r->probe.nx || y >= r->probe.ny)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: pixel (%llu, %llu) outside %llu x %llu",
                              r->probe.files.img, (unsigned long long)x, (unsigned long long)y,
                              (unsigned long long)r->probe.nx, (unsigned long long)r->probe.ny);
    return read_values_at(r, r->probe.data_offset + (x * r->probe.ny + y) * r->spectrum_bytes + z0 * r->item, n,
                          buf, err);
}

static int img_read_spectrum(omsi_reader *base, uint64_t x, uint64_t y, void *buf, omsi_error *err)
{
    return img_read_values(base, x, y, 0, ((img_reader *)base)->probe.nz, buf, err);
}

static void img_close(omsi_reader *base)
{
    img_reader *r = (img_reader *)base;
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->mz);
    free(r->batch);
    omsi_meta_free(&r->metadata);
    probe_free(&r->probe);
    free(r);
}

static const omsi_reader_ops img_ops = {
    .number_of_datasets = img_number_of_datasets,
    .set_dataset_selection = img_set_dataset,
    .info = img_info,
    .mz = img_mz,
    .dependencies = img_dependencies,
    .metadata = img_metadata,
    .rewind = img_rewind,
    .next_spectrum = img_next,
    .read_spectrum = img_read_spectrum,
    .read_values = img_read_values,
    .close = img_close,
};

/* Reads the .t2m axis (header byte order) and notes whether it increases. */
static int load_mz(img_reader *r, omsi_error *err)
{
    uint64_t nz = r->probe.nz;
    float *raw = malloc(IMG_MZ_BLOCK * sizeof *raw);
    r->mz = malloc((size_t)nz * sizeof *r->mz);
    int fd = open(r->probe.files.t2m, O_RDONLY | O_CLOEXEC);
    int rc = 0;
    if (!raw || !r->mz) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory for %llu m/z values",
                            r->probe.files.t2m, (unsigned long long)nz);
        goto done;
    }
    if (fd < 0) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", r->probe.files.t2m);
        goto done;
    }
    long first_drop = -1;
    for (uint64_t k = 0; k < nz; k++) {
        if (k % IMG_MZ_BLOCK == 0) {
            size_t n = nz - k < IMG_MZ_BLOCK ? (size_t)(nz - k) : IMG_MZ_BLOCK;
            rc = omsi_pread_exact(fd, raw, n * 4, k * 4, r->probe.files.t2m, err);
            if (rc)
                goto done;
            if (r->swap)
                omsi_swap_items(raw, 4, n);
        }
        float value = raw[k % IMG_MZ_BLOCK];
        r->mz[k] = value;
        if (!(value == value)) {
            rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: m/z value %llu is not a number",
                                r->probe.files.t2m, (unsigned long long)k);
            goto done;
        }
        if (k && first_drop < 0 && !(r->mz[k] > r->mz[k - 1]))
            first_drop = (long)k - 1;
    }
    omsi_meta_int(&r->metadata, OMSI_COLL_DATASET, "mz_strictly_increasing", first_drop < 0, NULL, NULL);
    if (first_drop >= 0) {
        omsi_meta_int(&r->metadata, OMSI_COLL_DATASET, "mz_nonincreasing_at", first_drop, NULL, NULL);
        omsi_log(r->opts.log, OMSI_LOG_WARNING,
                 "%s: m/z axis is not increasing after bin %ld; kept in file order",
                 r->probe.files.t2m, first_drop);
    }
done:
    if (fd >= 0)
        close(fd);
    free(raw);
    return rc;
}

static int record_metadata(img_reader *r)
{
    const omsi_img_header *h = &r->probe.header;
    omsi_metadata *md = &r->metadata;
    char dims[160];
    snprintf(dims, sizeof dims, "[%u, %u, %u, %u, %u, %u, %u, %u]", h->dim[0], h->dim[1], h->dim[2],
             h->dim[3], h->dim[4], h->dim[5], h->dim[6], h->dim[7]);
    char pixdim[160];
    snprintf(pixdim, sizeof pixdim, "[%g, %g, %g]", (double)h->pixdim[1], (double)h->pixdim[2],
             (double)h->pixdim[3]);
    int rc = omsi_meta_text(md, OMSI_COLL_DATASET, "format", "Analyze 7.5", NULL, NULL) ||
             omsi_meta_int(md, OMSI_COLL_DATASET, "analyze_header_size", h->sizeof_hdr, "bytes", NULL) ||
             omsi_meta_text(md, OMSI_COLL_DATASET, "byte_order", h->big_endian ? "big" : "little", NULL, NULL) ||
             omsi_meta_int(md, OMSI_COLL_DATASET, "analyze_datatype", h->datatype, NULL, NULL) ||
             omsi_meta_text(md, OMSI_COLL_DATASET, "intensity_type", omsi_dtype_name(r->probe.dtype), NULL, NULL) ||
             omsi_meta_json(md, OMSI_COLL_DATASET, "analyze_dim", dims) ||
             omsi_meta_json(md, OMSI_COLL_DATASET, "analyze_pixdim", pixdim) ||
             omsi_meta_text(md, OMSI_COLL_DATASET, "cube_axes",
                            "x = Analyze dim[3], y = Analyze dim[2] (BASTet mapping)", NULL, NULL);
    if (!rc && h->descrip[0])
        rc = omsi_meta_text(md, OMSI_COLL_DATASET, "description", h->descrip, NULL, NULL);
    if (!rc && h->originator[0])
        rc = omsi_meta_text(md, OMSI_COLL_DATASET, "originator", h->originator, NULL, NULL);
    if (!rc && (h->exp_date[0] || h->exp_time[0])) {
        char when[32];
        snprintf(when, sizeof when, "%s %s", h->exp_date, h->exp_time);
        rc = omsi_meta_text(md, OMSI_COLL_DATASET, "experiment_date", when, NULL, NULL);
    }
    if (!rc && h->dim[1] != r->probe.nz)
        rc = omsi_meta_text(md, OMSI_COLL_DATASET, "dim1_disagrees_with_t2m",
                            "dim[1] is a 16-bit field; the m/z count comes from the .t2m size", NULL, NULL);
    return rc;
}

static int img_open(const char *path, const omsi_open_options *opts, omsi_reader **out,
                    omsi_error *err)
{
    *out = NULL;
    omsi_open_options defaults = omsi_open_options_default();
    omsi_error scratch = {0};
    if (!opts)
        opts = &defaults;
    if (!err)
        err = &scratch;
    img_reader *r = calloc(1, sizeof *r);
    if (!r)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    r->base.format = &omsi_format_img;
    r->base.ops = &img_ops;
    r->opts = *opts;
    r->fd = -1;
    omsi_meta_init(&r->metadata);
    int rc = 0;
    omsi_validity v = probe(path, opts->force_unsigned, &r->probe, err);
    if (v != OMSI_VALID) {
        rc = err->status ? err->status : OMSI_ERR_FORMAT;
        if (v == OMSI_NOT_THIS_FORMAT)
            omsi_error_prefix(err, "not an Analyze 7.5 dataset");
        goto done;
    }
    r->swap = r->probe.header.big_endian == omsi_host_is_little_endian();
    r->item = omsi_dtype_size(r->probe.dtype);
    uint64_t spectrum_bytes = r->probe.nz * r->item; /* cannot overflow: checked in probe */
    if (spectrum_bytes > SIZE_MAX / 2) {
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum too large", r->probe.files.img);
        goto done;
    }
    /* one spectrum read plus the m/z axis as doubles */
    char what[64];
    snprintf(what, sizeof what, "one spectrum of %llu values", (unsigned long long)r->probe.nz);
    if ((rc = omsi_budget_check(opts->memory_limit, spectrum_bytes + r->probe.nz * 8, r->probe.files.img, what,
                                err)))
        goto done;
    r->spectrum_bytes = (size_t)spectrum_bytes;
    r->batch_capacity = IMG_READ_BATCH_BYTES / r->spectrum_bytes;
    if (r->batch_capacity == 0)
        r->batch_capacity = 1;
    r->batch = malloc((size_t)(r->batch_capacity * r->spectrum_bytes));
    if (!r->batch) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory for %zu-byte spectra",
                            r->probe.files.img, r->spectrum_bytes);
        goto done;
    }
    r->fd = open(r->probe.files.img, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", r->probe.files.img);
        goto done;
    }
    posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    rc = load_mz(r, err);
    if (!rc && record_metadata(r))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (!rc && r->probe.header.dim[1] != r->probe.nz)
        omsi_log(opts->log, OMSI_LOG_INFO, "%s: dim[1] = %u but %s holds %llu m/z values; using the .t2m",
                 r->probe.files.hdr, r->probe.header.dim[1], r->probe.files.t2m,
                 (unsigned long long)r->probe.nz);
done:
    if (rc) {
        img_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return 0;
}

const omsi_format omsi_format_img = {
    .name = "img",
    .bastet_name = "img_file",
    .description = "Analyze 7.5 (.hdr/.t2m/.img): every datatype, both byte orders",
    .supports_regions = false,
    .supports_multidata = false,
    .supports_multiexperiment = false,
    .is_valid_dataset = img_is_valid,
    .size = img_size,
    .list_files = img_list_files,
    .open = img_open,
};
