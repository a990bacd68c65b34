#include "writer/convert_write.h"
#include "writer/chunk_pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One dataset being written: its chunk shape and how. */
typedef struct target {
    hid_t ds;
    const char *name;          /* "data_0" / "data_1" for messages */
    bool chunked;
    uint64_t chunk[3];
} target;

/* Everything one selection's write needs; lives on the writer thread. */
typedef struct writer {
    omsi_reader *r;
    const omsi_dataset_info *info;
    omsi_converted_dataset *cd;
    omsi_summary *summary;     /* NULL: no summaries */
    omsi_write_progress *progress;
    size_t item;
    target t[2];
    size_t n_targets;
    bool compress;
    bool random_access;        /* the reader has read_spectrum */
    omsi_chunk_pool pool;
    bool pool_running;
    omsi_chunk_job *free_jobs;
    omsi_chunk_job **all_jobs; /* max_jobs slots */
    size_t n_jobs, max_jobs;
    size_t chunk_cap;          /* raw bytes of the largest chunk */
    unsigned char *slab;       /* x_block x Y x z_block values */
    uint64_t slab_cap;         /* bytes */
    unsigned char *spectrum;   /* one whole spectrum (random access with z blocks) */
    unsigned char *panel;      /* a few image chunks gathered at once */
    uint64_t panel_cap;        /* bytes a panel may have */
    FILE *spill;               /* the cube as raw values (streaming readers), or NULL */
    bool spill_filled;         /* every spectrum is in the spill */
} writer;

/* done of total in stage, at most a few times a second (and always at the end). */
static void report_units(omsi_write_progress *p, const char *stage, uint64_t done, uint64_t total)
{
    if (!p->opts->progress)
        return;
    double now = omsi_monotonic_seconds();
    if (now - p->last_report < 0.2 && done != total)
        return;
    p->last_report = now;
    p->opts->progress(p->opts->progress_ctx, stage, done, total);
}

static void report(omsi_write_progress *p, const char *stage)
{
    report_units(p, stage, p->done, p->total);
}

static bool cancelled(const omsi_convert_options *o) { return o->cancel && *o->cancel; }

static int cancel_error(omsi_error *err) { return omsi_error_set(err, OMSI_ERR_CANCELLED, "conversion cancelled"); }

/* Sum of one spectrum's values. Integers of up to 32 bits are summed in
 * 64-bit integers (vectorised, and a main-thread hot spot in double): every
 * partial sum stays below 2^53 (the 32-bit types only while n < 2^21), so
 * the result equals the double sum exactly. */
static double spectrum_sum(omsi_dtype t, const void *values, uint64_t n)
{
    double sum = 0;
    bool small = n < (UINT64_C(1) << 21);
    switch (t) {
#define ISUM(ctype, acc)                                  \
    do {                                                  \
        const ctype *v = values;                          \
        acc s = 0;                                        \
        for (uint64_t k = 0; k < n; k++)                  \
            s += (acc)v[k];                               \
        return (double)s;                                 \
    } while (0)
    case OMSI_DT_UINT8: ISUM(uint8_t, uint64_t);
    case OMSI_DT_INT8: ISUM(int8_t, int64_t);
    case OMSI_DT_UINT16: ISUM(uint16_t, uint64_t);
    case OMSI_DT_INT16: ISUM(int16_t, int64_t);
    case OMSI_DT_UINT32:
        if (small)
            ISUM(uint32_t, uint64_t);
        break;
    case OMSI_DT_INT32:
        if (small)
            ISUM(int32_t, int64_t);
        break;
#undef ISUM
    default: break;
    }
    switch (t) {
#define SUM(ctype)                                        \
    do {                                                  \
        const ctype *v = values;                          \
        for (uint64_t k = 0; k < n; k++)                  \
            sum += (double)v[k];                          \
    } while (0)
    case OMSI_DT_UINT8:
    case OMSI_DT_INT8:
    case OMSI_DT_UINT16:
    case OMSI_DT_INT16: break; /* summed above */
    case OMSI_DT_UINT32: SUM(uint32_t); break;
    case OMSI_DT_INT32: SUM(int32_t); break;
    case OMSI_DT_UINT64: SUM(uint64_t); break;
    case OMSI_DT_INT64: SUM(int64_t); break;
    case OMSI_DT_FLOAT32: SUM(float); break;
    case OMSI_DT_FLOAT64: SUM(double); break;
#undef SUM
    }
    return sum;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t gcd_u64(uint64_t a, uint64_t b) { return b ? gcd_u64(b, a % b) : a; }
static uint64_t lcm_u64(uint64_t a, uint64_t b) { return a / gcd_u64(a, b) * b; }

/* ---- chunk output ---- */

static int write_job(writer *w, omsi_chunk_job *job, omsi_error *err)
{
    const target *t = &w->t[job->target];
    hsize_t off[3] = {job->offset[0], job->offset[1], job->offset[2]};
    if (job->failed)
        return omsi_error_set(err, OMSI_ERR_INTERNAL,
                              "%s/%s: compressing the chunk at (%llu, %llu, %llu) failed",
                              w->cd->hdf5_path, t->name, (unsigned long long)off[0],
                              (unsigned long long)off[1], (unsigned long long)off[2]);
    const unsigned char *bytes = w->compress ? job->out : job->raw;
    size_t n = w->compress ? job->out_bytes : job->raw_bytes;
    if (H5Dwrite_chunk(t->ds, H5P_DEFAULT, 0, off, n, bytes) < 0)
        return omsi_h5_fail(err, "%s/%s: writing the chunk at (%llu, %llu, %llu)", w->cd->hdf5_path,
                            t->name, (unsigned long long)off[0], (unsigned long long)off[1],
                            (unsigned long long)off[2]);
    return 0;
}

/* A job buffer for the next chunk: a free one, a new one, or the next one
 * the compressors hand back (written first). */
static int get_job(writer *w, omsi_chunk_job **out, omsi_error *err)
{
    *out = NULL;
    if (w->free_jobs) {
        *out = w->free_jobs;
        w->free_jobs = (*out)->next;
        return 0;
    }
    if (w->n_jobs < w->max_jobs) {
        omsi_chunk_job *j = calloc(1, sizeof *j);
        size_t out_cap = w->compress ? omsi_chunk_pool_bound(w->chunk_cap) : 0;
        if (j) {
            j->raw = malloc(w->chunk_cap);
            j->out = out_cap ? malloc(out_cap) : NULL;
            j->out_cap = out_cap;
        }
        if (!j || !j->raw || (out_cap && !j->out)) {
            if (j) {
                free(j->raw);
                free(j->out);
            }
            free(j);
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for a %zu-byte chunk", w->chunk_cap);
        }
        w->all_jobs[w->n_jobs++] = j;
        *out = j;
        return 0;
    }
    omsi_chunk_job *done = omsi_chunk_pool_take(&w->pool);
    int rc = write_job(w, done, err);
    *out = done;
    return rc;
}

static int put_job(writer *w, omsi_chunk_job *job, omsi_error *err)
{
    if (w->compress) {
        omsi_chunk_pool_submit(&w->pool, job);
        return 0;
    }
    int rc = write_job(w, job, err);
    job->next = w->free_jobs;
    w->free_jobs = job;
    return rc;
}

/* Writes every compressed chunk still in flight. */
static int drain(writer *w, omsi_error *err)
{
    int rc = 0;
    omsi_chunk_job *job;
    while (w->pool_running && (job = omsi_chunk_pool_take(&w->pool)) != NULL) {
        if (!rc)
            rc = write_job(w, job, err);
        job->next = w->free_jobs;
        w->free_jobs = job;
    }
    return rc;
}

/* ---- slabs ---- */

typedef struct slab {
    uint64_t x0, nx, z0, nz;   /* the slab holds [x0, x0+nx) x [0, Y) x [z0, z0+nz) */
} slab;

/* Copies the values [x, y, z..z+n) of the slab into dst (n values). */
static const unsigned char *slab_at(const writer *w, const slab *s, uint64_t x, uint64_t y, uint64_t z)
{
    return w->slab + (((x - s->x0) * w->info->ny + y) * s->nz + (z - s->z0)) * w->item;
}

/* Gathers one chunk (origin o, shape c clipped to the cube) from the slab
 * into dst, zero-padded to the full chunk as HDF5 stores edge chunks. */
static void gather(const writer *w, const slab *s, const uint64_t o[3], const uint64_t c[3], unsigned char *dst)
{
    const omsi_dataset_info *in = w->info;
    uint64_t ex = min_u64(c[0], in->nx - o[0]), ey = min_u64(c[1], in->ny - o[1]),
             ez = min_u64(c[2], in->nz - o[2]);
    size_t item = w->item;
    if (ex != c[0] || ey != c[1] || ez != c[2])
        memset(dst, 0, (size_t)(c[0] * c[1] * c[2] * item));
    for (uint64_t i = 0; i < ex; i++)
        for (uint64_t j = 0; j < ey; j++) {
            unsigned char *d = dst + ((i * c[1] + j) * c[2]) * item;
            const unsigned char *src = slab_at(w, s, o[0] + i, o[1] + j, o[2]);
            if (ez > 1) {
                memcpy(d, src, (size_t)(ez * item));
                continue;
            }
            /* image chunks: one value per pixel, so no memcpy call per value */
            switch (item) {
            case 1: *d = *src; break;
            case 2: memcpy(d, src, 2); break;
            case 4: memcpy(d, src, 4); break;
            default: memcpy(d, src, 8); break;
            }
        }
}

/* Image chunks hold few bins per pixel, so gathering them one chunk at a
 * time touches one cache line per value. A panel of `group` chunks along z
 * is gathered at once instead (one contiguous run per pixel), then copied
 * out chunk by chunk. */
enum { PANEL_RUN_BYTES = 256, PANEL_MAX_BYTES = 4 << 20, MAX_JOBS = 4096 };

static uint64_t panel_group(const writer *w, const target *t)
{
    uint64_t run = t->chunk[2] * w->item, chunk = t->chunk[0] * t->chunk[1] * run;
    if (run >= PANEL_RUN_BYTES / 2)
        return 1;
    uint64_t g = PANEL_RUN_BYTES / run;
    if (g * chunk > w->panel_cap)
        g = w->panel_cap / chunk;
    return g ? g : 1;
}

/* dst[g * dst_stride + j] = src[j * src_stride + g] for npix pixels j and
 * nrun values g (strides in bytes, values of `item` bytes): a transpose in
 * square blocks, so that consecutive stores fill one cache line and the
 * block's source lines stay in L1 (value by value, every store went to
 * another chunk: the main thread's largest cost beside deflate). */
static void transpose_runs(const unsigned char *src, size_t src_stride, uint64_t npix, uint64_t nrun,
                           unsigned char *dst, size_t dst_stride, size_t item)
{
    enum { BLOCK = 32, LINE = 64, AHEAD = 2 };
    size_t run_bytes = (size_t)nrun * item;
    for (uint64_t jb = 0; jb < npix; jb += BLOCK) {
        /* the next block's runs: the strided lines are not prefetched by
         * the hardware, and each is used once (a miss per line was most
         * of the transpose's time) */
        for (uint64_t j = jb + AHEAD * BLOCK; j < min_u64(jb + (AHEAD + 1) * BLOCK, npix); j++)
            for (size_t b = 0; b < run_bytes; b += LINE)
                __builtin_prefetch(src + j * src_stride + b);
        for (uint64_t gb = 0; gb < nrun; gb += BLOCK) {
            uint64_t je = min_u64(jb + BLOCK, npix), ge = min_u64(gb + BLOCK, nrun);
#define TRANSPOSE_BLOCK(T)                                                                   \
    for (uint64_t g = gb; g < ge; g++) {                                                      \
        T *d = (T *)(void *)(dst + g * dst_stride);                                           \
        const unsigned char *s = src + g * sizeof(T);                                         \
        for (uint64_t j = jb; j < je; j++)                                                    \
            memcpy(&d[j], s + j * src_stride, sizeof(T));                                     \
    }
            switch (item) {
            case 1: TRANSPOSE_BLOCK(uint8_t) break;
            case 2: TRANSPOSE_BLOCK(uint16_t) break;
            case 4: TRANSPOSE_BLOCK(uint32_t) break;
            default: TRANSPOSE_BLOCK(uint64_t) break;
            }
#undef TRANSPOSE_BLOCK
        }
    }
}

/* Gathers `group` chunks starting at o (consecutive along z) into panel,
 * chunk after chunk, zero-padded like gather(). */
static void gather_panel(const writer *w, const slab *s, const uint64_t o[3], const uint64_t c[3],
                         uint64_t group, unsigned char *panel)
{
    const omsi_dataset_info *in = w->info;
    size_t item = w->item;
    uint64_t ex = min_u64(c[0], in->nx - o[0]), ey = min_u64(c[1], in->ny - o[1]);
    uint64_t run = min_u64(group * c[2], in->nz - o[2]);
    uint64_t chunk = c[0] * c[1] * c[2] * item;
    if (ex != c[0] || ey != c[1] || run != group * c[2])
        memset(panel, 0, (size_t)(group * chunk));
    for (uint64_t i = 0; i < ex; i++) {
        if (c[2] == 1) {
            /* one value per pixel and chunk: the pixels' runs transposed */
            transpose_runs(slab_at(w, s, o[0] + i, o[1], o[2]), (size_t)(s->nz * item), ey, run,
                           panel + i * c[1] * item, (size_t)chunk, item);
            continue;
        }
        for (uint64_t j = 0; j < ey; j++) {
            const unsigned char *src = slab_at(w, s, o[0] + i, o[1] + j, o[2]);
            unsigned char *d = panel + ((i * c[1] + j) * c[2]) * item;
            for (uint64_t k = 0; k < run; k += c[2]) {
                uint64_t n = min_u64(c[2], run - k);
                memcpy(d + (k / c[2]) * chunk, src + k * item, (size_t)(n * item));
            }
        }
    }
}

static int next_chunk(writer *w, size_t ti, const uint64_t o[3], const unsigned char *panel_chunk,
                      const slab *s, size_t raw, omsi_error *err)
{
    omsi_chunk_job *job;
    int rc = get_job(w, &job, err);
    if (rc) {
        if (job) {
            job->next = w->free_jobs;
            w->free_jobs = job;
        }
        return rc;
    }
    if (panel_chunk)
        memcpy(job->raw, panel_chunk, raw);
    else
        gather(w, s, o, w->t[ti].chunk, job->raw);
    job->target = (int)ti;
    memcpy(job->offset, o, 3 * sizeof *o);
    job->raw_bytes = raw;
    job->failed = false;
    return put_job(w, job, err);
}

/* The pixels [x0, x1) x [y0, y1) of a slab whose spectra are complete. */
typedef struct region {
    uint64_t x0, x1, y0, y1;
} region;

/* Emits every chunk of target t whose origin lies in the region g of the
 * slab (rg is aligned to t's chunks; its chunks are complete in the slab). */
static int emit_chunks(writer *w, const slab *s, size_t ti, const region *rg, omsi_error *err)
{
    const target *t = &w->t[ti];
    const omsi_dataset_info *in = w->info;
    if (!t->chunked) {
        hsize_t start[3] = {s->x0, 0, s->z0}, count[3] = {s->nx, in->ny, s->nz};
        hid_t mem = H5Screate_simple(3, count, NULL), space = H5Dget_space(t->ds);
        int rc = 0;
        if (mem < 0 || space < 0 || H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dwrite(t->ds, omsi_h5_mem_type(in->dtype), mem, space, H5P_DEFAULT, w->slab) < 0)
            rc = omsi_h5_fail(err, "%s/%s: writing values", w->cd->hdf5_path, t->name);
        if (mem >= 0)
            H5Sclose(mem);
        if (space >= 0)
            H5Sclose(space);
        return rc;
    }
    const uint64_t *c = t->chunk;
    size_t raw = (size_t)(c[0] * c[1] * c[2] * w->item);
    uint64_t group = panel_group(w, t); /* > 1: w->panel holds them (write_all) */
    for (uint64_t x = rg->x0; x < rg->x1; x += c[0])
        for (uint64_t y = rg->y0; y < rg->y1; y += c[1])
            for (uint64_t z = s->z0; z < s->z0 + s->nz; z += group * c[2]) {
                if (cancelled(w->progress->opts))
                    return cancel_error(err);
                uint64_t o[3] = {x, y, z};
                uint64_t here = min_u64(group, (s->z0 + s->nz - z + c[2] - 1) / c[2]);
                if (group > 1)
                    gather_panel(w, s, o, c, here, w->panel);
                for (uint64_t g = 0; g < here; g++) {
                    uint64_t og[3] = {x, y, z + g * c[2]};
                    int rc = next_chunk(w, ti, og, group > 1 ? w->panel + g * raw : NULL, s, raw, err);
                    if (rc)
                        return rc;
                }
            }
    return 0;
}

/* Counts the whole spectrum of pixel (x, y) in the statistics and the
 * summaries (once: in its first z block). */
static void count_spectrum(writer *w, const slab *s, uint64_t x, uint64_t y, const void *values,
                           bool stats)
{
    if (!stats || s->z0 != 0)
        return;
    /* the summary's TIC is the same sum in the same order: not twice */
    w->cd->total_intensity += w->summary ? omsi_summary_add(w->summary, x, y, values)
                                         : spectrum_sum(w->info->dtype, values, w->info->nz);
    w->cd->spectra_written++;
    w->progress->done++;
    report(w->progress, "spectra");
}

/* Reads the spectrum of pixel (x, y) into its place in the slab (zeros
 * where the pixel has none). */
static int read_pixel(writer *w, const slab *s, uint64_t x, uint64_t y, bool stats, omsi_error *err)
{
    size_t row = (size_t)(s->nz * w->item);
    bool whole = s->nz == w->info->nz;
    unsigned char *dst = (unsigned char *)slab_at(w, s, x, y, s->z0);
    unsigned char *buf = whole ? dst : w->spectrum;
    if (!whole && !(stats && s->z0 == 0) && omsi_reader_has_read_values(w->r)) {
        /* only the block's values (the summaries need none of them) */
        int rc = omsi_reader_read_values(w->r, x, y, s->z0, s->nz, dst, err);
        return rc < 0 ? rc : 0;
    }
    int rc = omsi_reader_read_spectrum(w->r, x, y, buf, err);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        memset(dst, 0, row);
        return 0;
    }
    if (!whole)
        memcpy(dst, buf + s->z0 * w->item, row);
    count_spectrum(w, s, x, y, buf, stats);
    return 0;
}

/* Writes one spectrum of a streaming reader to its place in the spill. */
static int spill_spectrum(writer *w, const omsi_spectrum *sp, omsi_error *err)
{
    size_t row = (size_t)(w->info->nz * w->item);
    uint64_t at = (sp->x * w->info->ny + sp->y) * row;
    if (pwrite(fileno(w->spill), sp->intensities, row, (off_t)at) != (ssize_t)row)
        return omsi_error_set(err, OMSI_ERR_IO, "%s: writing the temporary copy of the values: %s",
                              w->cd->hdf5_path, strerror(errno));
    return 0;
}

/* Fills the slab from the reader: by pixel where it can seek, otherwise by
 * one pass of the iterator (pixels without a spectrum stay zero; with a
 * spill, the first pass also writes it and later ones read from it). */
static int fill_slab(writer *w, const slab *s, bool stats, omsi_error *err)
{
    const omsi_dataset_info *in = w->info;
    size_t item = w->item;
    size_t row = (size_t)(s->nz * item);
    if (w->random_access) {
        for (uint64_t x = s->x0; x < s->x0 + s->nx; x++) {
            if (cancelled(w->progress->opts))
                return cancel_error(err);
            for (uint64_t y = 0; y < in->ny; y++) {
                int rc = read_pixel(w, s, x, y, stats, err);
                if (rc)
                    return rc;
            }
        }
        return 0;
    }
    if (w->spill && w->spill_filled) {
        /* ranged reads of the raw copy: only the block's z range */
        for (uint64_t x = s->x0; x < s->x0 + s->nx; x++) {
            if (cancelled(w->progress->opts))
                return cancel_error(err);
            for (uint64_t y = 0; y < in->ny; y++) {
                uint64_t at = ((x * in->ny + y) * in->nz + s->z0) * item;
                int rc = omsi_pread_exact(fileno(w->spill), (unsigned char *)slab_at(w, s, x, y, s->z0), row,
                                          at, "the temporary copy of the values", err);
                if (rc)
                    return rc;
            }
        }
        return 0;
    }
    memset(w->slab, 0, (size_t)(s->nx * in->ny) * row);
    bool spilling = w->spill && !w->spill_filled;
    int rc = omsi_reader_rewind(w->r, err), more = 0;
    omsi_spectrum sp;
    while (!rc && (more = omsi_reader_next(w->r, &sp, err)) == 1) {
        if (cancelled(w->progress->opts))
            return cancel_error(err);
        if (sp.x >= in->nx || sp.y >= in->ny)
            return omsi_error_set(err, OMSI_ERR_INTERNAL,
                                  "reader returned pixel (%llu, %llu) outside %llu x %llu",
                                  (unsigned long long)sp.x, (unsigned long long)sp.y,
                                  (unsigned long long)in->nx, (unsigned long long)in->ny);
        if (spilling) {
            /* the later blocks come from the spill: every spectrum is
             * counted here, in the file's order (as the direct pass does) */
            if ((rc = spill_spectrum(w, &sp, err)) != 0)
                return rc;
            count_spectrum(w, s, sp.x, sp.y, sp.intensities, stats);
        }
        if (sp.x < s->x0 || sp.x >= s->x0 + s->nx)
            continue;
        memcpy((unsigned char *)slab_at(w, s, sp.x, sp.y, s->z0),
               (const unsigned char *)sp.intensities + s->z0 * item, row);
        if (!spilling)
            count_spectrum(w, s, sp.x, sp.y, sp.intensities, stats);
    }
    if (!rc && more < 0)
        rc = err->status ? err->status : OMSI_ERR_FORMAT;
    if (!rc && w->spill)
        w->spill_filled = true;
    return rc;
}

/* Fills the slab of a reader that can seek in tile order and emits chunks
 * as soon as they are complete: every chunk of the first target in mask
 * right after its pixels are read, the other target's after each tile of
 * xu x yu pixels (units common to both). Reading a whole slab first would
 * leave the compressors idle for its whole read, which cost a third of
 * the throughput on 2 cores. */
static int fill_and_emit_tiles(writer *w, unsigned mask, const slab *s, bool stats, omsi_error *err)
{
    const omsi_dataset_info *in = w->info;
    size_t inner = mask & 1u ? 0 : 1;
    const uint64_t *ci = w->t[inner].chunk;
    uint64_t xu = 1, yu = 1;
    for (size_t i = 0; i < w->n_targets; i++)
        if (mask & (1u << i)) {
            xu = lcm_u64(xu, w->t[i].chunk[0]);
            yu = lcm_u64(yu, w->t[i].chunk[1]);
        }
    uint64_t xend = s->x0 + s->nx;
    for (uint64_t tx = s->x0; tx < xend; tx += xu)
        for (uint64_t ty = 0; ty < in->ny; ty += yu) {
            region tile = {tx, min_u64(tx + xu, xend), ty, min_u64(ty + yu, in->ny)};
            for (uint64_t sx = tile.x0; sx < tile.x1; sx += ci[0])
                for (uint64_t sy = tile.y0; sy < tile.y1; sy += ci[1]) {
                    if (cancelled(w->progress->opts))
                        return cancel_error(err);
                    region sub = {sx, min_u64(sx + ci[0], tile.x1), sy, min_u64(sy + ci[1], tile.y1)};
                    for (uint64_t x = sub.x0; x < sub.x1; x++)
                        for (uint64_t y = sub.y0; y < sub.y1; y++) {
                            int rc = read_pixel(w, s, x, y, stats, err);
                            if (rc)
                                return rc;
                        }
                    int rc = emit_chunks(w, s, inner, &sub, err);
                    if (rc)
                        return rc;
                }
            if (inner == 0 && (mask & 2u)) {
                int rc = emit_chunks(w, s, 1, &tile, err);
                if (rc)
                    return rc;
            }
        }
    return 0;
}

/* ---- planning ---- */

/* The x and z steps a slab must be a multiple of so that it holds whole
 * chunks of every target in mask. */
static void slab_units(const writer *w, unsigned mask, uint64_t *xu, uint64_t *zu)
{
    *xu = 1;
    *zu = 1;
    for (size_t i = 0; i < w->n_targets; i++)
        if (mask & (1u << i) && w->t[i].chunked) {
            *xu = lcm_u64(*xu, w->t[i].chunk[0]);
            *zu = lcm_u64(*zu, w->t[i].chunk[2]);
        }
    *xu = min_u64(*xu, w->info->nx);
    *zu = min_u64(*zu, w->info->nz);
}

/* Largest slab (bx, bz) within bytes; false when not even one unit fits. */
static bool plan_slab(const writer *w, unsigned mask, uint64_t bytes, uint64_t *bx, uint64_t *bz)
{
    const omsi_dataset_info *in = w->info;
    uint64_t xu, zu;
    slab_units(w, mask, &xu, &zu);
    uint64_t column = in->ny * w->item; /* one x, one z */
    if (xu * column * zu > bytes || xu * column * zu / column / zu != xu)
        return false;
    /* Whole spectra first (one read per spectrum), then more pixels. */
    *bx = xu;
    *bz = min_u64(in->nz, bytes / (xu * column) / zu * zu);
    if (*bz == in->nz)
        *bx = min_u64(in->nx, bytes / (column * in->nz) / xu * xu);
    return true;
}

static int run_passes(writer *w, unsigned mask, uint64_t bx, uint64_t bz, bool stats, omsi_error *err)
{
    const omsi_dataset_info *in = w->info;
    /* A pass of its own for the image-chunked copy reports its slabs (the
     * spectra were counted by the first pass). */
    uint64_t slabs = ((in->nx + bx - 1) / bx) * ((in->nz + bz - 1) / bz), slabs_done = 0;
    for (uint64_t x0 = 0; x0 < in->nx; x0 += bx)
        for (uint64_t z0 = 0; z0 < in->nz; z0 += bz) {
            slab s = {x0, min_u64(bx, in->nx - x0), z0, min_u64(bz, in->nz - z0)};
            region all = {s.x0, s.x0 + s.nx, 0, in->ny};
            int rc = 0;
            if (w->random_access && w->t[0].chunked) {
                rc = fill_and_emit_tiles(w, mask, &s, stats, err);
            } else {
                rc = fill_slab(w, &s, stats, err);
                for (size_t i = 0; i < w->n_targets && !rc; i++)
                    if (mask & (1u << i))
                        rc = emit_chunks(w, &s, i, &all, err);
            }
            if (rc)
                return rc;
            slabs_done++;
            if ((mask & 2u) && !stats)
                report_units(w->progress, "image copy (slabs)", slabs_done, slabs);
        }
    return 0;
}

/* data_0 with 1 x 1 x cz chunks straight from the iterator: every spectrum
 * completes its own chunks, so one pass needs no slab at all. */
static int run_spectrum_pass(writer *w, omsi_error *err)
{
    const omsi_dataset_info *in = w->info;
    const target *t = &w->t[0];
    size_t item = w->item, raw = (size_t)(t->chunk[2] * item);
    slab whole = {0, in->nx, 0, in->nz};
    int rc = omsi_reader_rewind(w->r, err), more = 0;
    omsi_spectrum sp;
    while (!rc && (more = omsi_reader_next(w->r, &sp, err)) == 1) {
        if (cancelled(w->progress->opts))
            return cancel_error(err);
        if (sp.x >= in->nx || sp.y >= in->ny)
            return omsi_error_set(err, OMSI_ERR_INTERNAL,
                                  "reader returned pixel (%llu, %llu) outside %llu x %llu",
                                  (unsigned long long)sp.x, (unsigned long long)sp.y,
                                  (unsigned long long)in->nx, (unsigned long long)in->ny);
        for (uint64_t z = 0; z < in->nz && !rc; z += t->chunk[2]) {
            omsi_chunk_job *job;
            rc = get_job(w, &job, err);
            if (rc) {
                if (job) {
                    job->next = w->free_jobs;
                    w->free_jobs = job;
                }
                return rc;
            }
            uint64_t n = min_u64(t->chunk[2], in->nz - z);
            memcpy(job->raw, (const unsigned char *)sp.intensities + z * item, (size_t)(n * item));
            if (n < t->chunk[2])
                memset(job->raw + n * item, 0, raw - (size_t)(n * item));
            job->target = 0;
            job->offset[0] = sp.x;
            job->offset[1] = sp.y;
            job->offset[2] = z;
            job->raw_bytes = raw;
            job->failed = false;
            rc = put_job(w, job, err);
        }
        if (!rc && w->spill)
            rc = spill_spectrum(w, &sp, err);
        count_spectrum(w, &whole, sp.x, sp.y, sp.intensities, true);
    }
    if (!rc && more < 0)
        rc = err->status ? err->status : OMSI_ERR_FORMAT;
    if (!rc && w->spill)
        w->spill_filled = true;
    return rc;
}

static size_t chunk_bytes(const target *t, size_t item)
{
    return t->chunked ? (size_t)(t->chunk[0] * t->chunk[1] * t->chunk[2] * item) : 0;
}

static unsigned compress_threads(const omsi_convert_options *o)
{
    if (o->threads)
        return o->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static int write_all(writer *w, const omsi_msidata_spec *spec, omsi_error *err)
{
    const omsi_convert_options *o = w->progress->opts;
    const omsi_dataset_info *in = w->info;
    uint64_t limit = omsi_budget_limit(o->reader.memory_limit);
    /* Half the budget for the writer: the rest is the reader's buffers,
     * HDF5 and the program itself. */
    uint64_t budget = limit / 2;
    w->chunk_cap = chunk_bytes(&w->t[0], w->item);
    if (w->n_targets > 1 && chunk_bytes(&w->t[1], w->item) > w->chunk_cap)
        w->chunk_cap = chunk_bytes(&w->t[1], w->item);
    unsigned threads = compress_threads(o);
    uint64_t per_job = w->chunk_cap + (w->compress ? omsi_chunk_pool_bound(w->chunk_cap) : 0);
    /* Chunks in flight: at least enough to keep every thread busy, and up
     * to a quarter of the writer's budget, so that the compressors still
     * have the chunks of one block of values to work on while the next
     * block is read (the jobs hold copies, so the block can be refilled). */
    uint64_t want = w->compress ? 4 * (uint64_t)threads + 4 : 1;
    uint64_t fit = per_job ? budget / 4 / per_job : want;
    if (w->compress && fit > want)
        want = fit < MAX_JOBS ? fit : MAX_JOBS;
    w->max_jobs = (size_t)(fit < 1 ? 1 : fit < want ? fit : want);
    w->all_jobs = calloc(w->max_jobs, sizeof *w->all_jobs);
    if (!w->all_jobs)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for %zu chunk jobs", w->max_jobs);
    uint64_t slab_bytes = budget > per_job * w->max_jobs ? budget - per_job * w->max_jobs : 0;
    if (w->random_access && slab_bytes > in->nz * w->item)
        slab_bytes -= in->nz * w->item; /* the spectrum buffer */
    w->panel_cap = min_u64(PANEL_MAX_BYTES, budget / 16);
    uint64_t panel = 0;
    for (size_t i = 0; i < w->n_targets; i++)
        if (w->t[i].chunked && panel_group(w, &w->t[i]) > 1)
            panel = max_u64(panel, panel_group(w, &w->t[i]) * chunk_bytes(&w->t[i], w->item));
    slab_bytes = slab_bytes > panel ? slab_bytes - panel : 0;
    /* one panel for both targets, of the larger one's size (sized for the
     * first target to use it, it overflowed in the other's) */
    if (panel && !(w->panel = malloc((size_t)panel)))
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for a %llu-byte panel of chunks",
                              (unsigned long long)panel);
    uint64_t bx = 0, bz = 0;
    int rc = 0;
    bool joint = w->n_targets == 2 && plan_slab(w, 3u, slab_bytes, &bx, &bz);
    uint64_t bx1 = 0, bz1 = 0;
    /* spectrum chunks (1 x 1 x cz) of a reader without random access come
     * straight from one pass of its iterator, without a slab */
    bool direct = !w->random_access && w->t[0].chunked && w->t[0].chunk[0] == 1 && w->t[0].chunk[1] == 1;
    if (!joint && ((!direct && !plan_slab(w, 1u, slab_bytes, &bx, &bz)) ||
                   (w->n_targets == 2 && !plan_slab(w, 2u, slab_bytes, &bx1, &bz1))) ) {
        uint64_t xu, zu;
        slab_units(w, w->n_targets == 2 ? 3u : 1u, &xu, &zu);
        return omsi_error_set(err, OMSI_ERR_NOMEM,
                              "%s: the memory limit of %llu bytes (--memory-limit) is too small "
                              "for one chunk of %llu bytes and a %llu x %llu x %llu block of values; "
                              "raise --memory-limit or use smaller --chunking",
                              w->cd->hdf5_path, (unsigned long long)limit,
                              (unsigned long long)w->chunk_cap, (unsigned long long)xu,
                              (unsigned long long)in->ny, (unsigned long long)zu);
    }
    uint64_t cap = joint ? bx * bz : bx * bz > bx1 * bz1 ? bx * bz : bx1 * bz1;
    if (cap == 0)
        cap = 1; /* direct pass only: no slab needed */
    w->slab_cap = cap * in->ny * w->item;
    w->slab = malloc((size_t)w->slab_cap);
    w->spectrum = w->random_access ? malloc((size_t)(in->nz * w->item)) : NULL;
    if (!w->slab || (w->random_access && !w->spectrum))
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for a %llu-byte block of values",
                              (unsigned long long)w->slab_cap);
    if (w->compress) {
        if (omsi_chunk_pool_start(&w->pool, threads, spec->compression_level, true) != 0)
            return omsi_error_set(err, OMSI_ERR_INTERNAL, "%s: cannot start %u compression threads",
                                  w->cd->hdf5_path, threads);
        w->pool_running = true;
    }
    /* A streaming reader (mzML) that needs more than one pass (the image
     * copy's own passes, or blocks of values of chunks wider than one
     * pixel): the first pass also writes the values to an unlinked
     * temporary file, and the later ones read their ranges from it.
     * Measured (bench/README.md): re-parsing costs ~0.12 s of CPU per MB
     * of values (XML + base64), the raw copy is written and read back at
     * page-cache speed, so the spill wins from the second pass on. */
    uint64_t passes = joint ? ((in->nx + bx - 1) / bx) * ((in->nz + bz - 1) / bz)
                            : (direct ? 1 : ((in->nx + bx - 1) / bx) * ((in->nz + bz - 1) / bz)) +
                                  (w->n_targets == 2 ? ((in->nx + bx1 - 1) / bx1) * ((in->nz + bz1 - 1) / bz1) : 0);
    if (!w->random_access && passes > 1) {
        w->spill = tmpfile();
        if (!w->spill || ftruncate(fileno(w->spill), (off_t)(in->nx * in->ny * in->nz * w->item)) != 0)
            return omsi_error_set(err, OMSI_ERR_IO, "%s: cannot create a temporary copy of %llu bytes of values: %s",
                                  w->cd->hdf5_path, (unsigned long long)(in->nx * in->ny * in->nz * w->item),
                                  strerror(errno));
    }
    if (joint) {
        rc = run_passes(w, 3u, bx, bz, true, err);
    } else {
        rc = direct ? run_spectrum_pass(w, err) : run_passes(w, 1u, bx, bz, true, err);
        /* data_0 is complete before data_1 starts, so its chunks can go */
        if (!rc)
            rc = drain(w, err);
        if (!rc && w->n_targets == 2)
            rc = run_passes(w, 2u, bx1, bz1, false, err);
    }
    if (rc)
        return rc; /* the jobs in flight are dropped by omsi_chunk_pool_stop */
    return drain(w, err);
}

int omsi_write_selection(omsi_reader *r, const omsi_dataset_info *info, omsi_msidata *d,
                         const omsi_msidata_spec *spec, omsi_converted_dataset *cd,
                         omsi_summary *summary, omsi_write_progress *progress, omsi_error *err)
{
    writer w = {
        .r = r,
        .info = info,
        .cd = cd,
        .summary = summary,
        .progress = progress,
        .item = omsi_dtype_size(info->dtype),
        .compress = spec->chunked && spec->compression_level >= 0,
        .random_access = r->ops->read_spectrum != NULL,
    };
    w.t[0] = (target){d->cube, "data_0", spec->chunked, {spec->chunk[0], spec->chunk[1], spec->chunk[2]}};
    w.n_targets = 1;
    if (d->copy >= 0) {
        w.t[1] = (target){d->copy, "data_1", true,
                          {spec->image_chunk[0], spec->image_chunk[1], spec->image_chunk[2]}};
        w.n_targets = 2;
    }
    int rc = write_all(&w, spec, err);
    if (w.pool_running) {
        /* on errors, jobs still in flight are waited for and dropped */
        omsi_chunk_pool_stop(&w.pool, NULL);
    }
    for (size_t i = 0; i < w.n_jobs; i++) {
        free(w.all_jobs[i]->raw);
        free(w.all_jobs[i]->out);
        free(w.all_jobs[i]);
    }
    free(w.all_jobs);
    if (w.spill)
        fclose(w.spill);
    free(w.slab);
    free(w.spectrum);
    free(w.panel);
    return rc;
}
