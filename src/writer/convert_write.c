#include "writer/convert_write.h"

#include <stdlib.h>
#include <string.h>

/* A prime number of hash slots, comfortably above the chunks a cache holds. */
enum { CACHE_SLOTS = 100003 };

/* Sizes the chunk cache of an open dataset by reopening it with a dapl. */
static hid_t reopen_with_cache(hid_t ds, size_t bytes, omsi_error *err)
{
    char name[256];
    if (H5Iget_name(ds, name, sizeof name) <= 0) {
        omsi_h5_fail(err, "dataset name");
        return -1;
    }
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    hid_t file = H5Iget_file_id(ds);
    hid_t out = -1;
    if (dapl >= 0 && file >= 0 && H5Pset_chunk_cache(dapl, CACHE_SLOTS, bytes, 1.0) >= 0)
        out = H5Dopen2(file, name, dapl);
    if (out < 0)
        omsi_h5_fail(err, "%s: chunk cache", name);
    if (dapl >= 0)
        H5Pclose(dapl);
    if (file >= 0)
        H5Fclose(file);
    if (out >= 0)
        H5Dclose(ds);
    return out;
}

static hsize_t chunk_dim(hid_t ds, int i)
{
    hsize_t c[3] = {1, 1, 1};
    hid_t dcpl = H5Dget_create_plist(ds);
    if (dcpl >= 0) {
        if (H5Pget_layout(dcpl) == H5D_CHUNKED)
            H5Pget_chunk(dcpl, 3, c);
        H5Pclose(dcpl);
    }
    return c[i];
}

static void report(omsi_write_progress *p, const char *stage)
{
    if (!p->opts->progress)
        return;
    double now = omsi_monotonic_seconds();
    if (now - p->last_report < 0.5 && p->done != p->total)
        return;
    p->last_report = now;
    p->opts->progress(p->opts->progress_ctx, stage, p->done, p->total);
}

static bool cancelled(const omsi_convert_options *o) { return o->cancel && *o->cancel; }

/* Sum of one spectrum's values. */
static double spectrum_sum(omsi_dtype t, const void *values, uint64_t n)
{
    double sum = 0;
    switch (t) {
#define SUM(ctype)                                        \
    do {                                                  \
        const ctype *v = values;                          \
        for (uint64_t k = 0; k < n; k++)                  \
            sum += (double)v[k];                          \
    } while (0)
    case OMSI_DT_UINT8: SUM(uint8_t); break;
    case OMSI_DT_INT8: SUM(int8_t); break;
    case OMSI_DT_UINT16: SUM(uint16_t); break;
    case OMSI_DT_INT16: SUM(int16_t); break;
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

static int write_spectra(omsi_reader *r, const omsi_dataset_info *info, omsi_msidata *d,
                         omsi_converted_dataset *cd, omsi_write_progress *progress, omsi_error *err)
{
    size_t item = omsi_dtype_size(info->dtype);
    /* Spectra usually arrive x-major: a cache of one band of chunk rows
     * (chunk x-extent x Y x Z) lets every chunk be completed before eviction. */
    uint64_t band = chunk_dim(d->cube, 0) * info->ny * info->nz * item;
    size_t cache = band > (512u << 20) ? (512u << 20) : (size_t)band + (1u << 20);
    hid_t cube = reopen_with_cache(d->cube, cache, err);
    if (cube < 0)
        return err->status;
    d->cube = cube;
    hsize_t mem_dims = info->nz;
    hid_t mem = H5Screate_simple(1, &mem_dims, NULL);
    hid_t file_space = H5Dget_space(d->cube);
    hid_t mem_type = omsi_h5_mem_type(info->dtype);
    int rc = mem < 0 || file_space < 0 ? omsi_h5_fail(err, "dataspaces") : 0;
    if (!rc)
        rc = omsi_reader_rewind(r, err);
    omsi_spectrum s;
    int more;
    while (!rc && (more = omsi_reader_next(r, &s, err)) == 1) {
        if (cancelled(progress->opts)) {
            rc = omsi_error_set(err, OMSI_ERR_CANCELLED, "conversion cancelled");
            break;
        }
        if (s.x >= info->nx || s.y >= info->ny) {
            rc = omsi_error_set(err, OMSI_ERR_INTERNAL,
                                "reader returned pixel (%llu, %llu) outside %llu x %llu",
                                (unsigned long long)s.x, (unsigned long long)s.y,
                                (unsigned long long)info->nx, (unsigned long long)info->ny);
            break;
        }
        hsize_t start[3] = {s.x, s.y, 0}, count[3] = {1, 1, info->nz};
        if (H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dwrite(d->cube, mem_type, mem, file_space, H5P_DEFAULT, s.intensities) < 0) {
            rc = omsi_h5_fail(err, "%s/data_0: writing spectrum (%llu, %llu)", cd->hdf5_path,
                              (unsigned long long)s.x, (unsigned long long)s.y);
            break;
        }
        cd->total_intensity += spectrum_sum(info->dtype, s.intensities, info->nz);
        cd->spectra_written++;
        progress->done++;
        report(progress, "spectra");
    }
    if (!rc && more < 0)
        rc = err->status ? err->status : OMSI_ERR_FORMAT;
    (void)item;
    if (mem >= 0)
        H5Sclose(mem);
    if (file_space >= 0)
        H5Sclose(file_space);
    return rc;
}

/* data_1 = data_0 with image-aligned chunks, copied in blocks of
 * x_tile x Y x z_block values so each chunk of data_1 is written once. */
static int fill_copy(const omsi_dataset_info *info, omsi_msidata *d, omsi_write_progress *progress,
                     const char *where, omsi_error *err)
{
    size_t item = omsi_dtype_size(info->dtype);
    uint64_t x_tile = chunk_dim(d->copy, 0);
    uint64_t plane = x_tile * info->ny * item; /* one bin of one tile row */
    uint64_t z_block = OMSI_CONVERT_BLOCK_BYTES / (plane ? plane : 1);
    if (z_block == 0)
        z_block = 1;
    if (z_block > info->nz)
        z_block = info->nz;
    /* Keep the source chunks of one tile row cached across its z blocks. */
    uint64_t src_band = x_tile * info->ny * chunk_dim(d->cube, 2) * item;
    size_t cache = src_band > OMSI_CONVERT_READBACK_CACHE ? OMSI_CONVERT_READBACK_CACHE : (size_t)src_band + (1u << 20);
    hid_t cube = reopen_with_cache(d->cube, cache, err);
    if (cube < 0)
        return err->status;
    d->cube = cube;
    void *buf = malloc((size_t)(plane * z_block));
    hid_t src_space = H5Dget_space(d->cube), dst_space = H5Dget_space(d->copy);
    hid_t mem_type = omsi_h5_mem_type(info->dtype);
    int rc = 0;
    if (!buf) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for a %llu-byte copy block",
                            (unsigned long long)(plane * z_block));
        goto done;
    }
    for (uint64_t x0 = 0; x0 < info->nx && !rc; x0 += x_tile) {
        uint64_t nx = info->nx - x0 < x_tile ? info->nx - x0 : x_tile;
        for (uint64_t z0 = 0; z0 < info->nz && !rc; z0 += z_block) {
            if (cancelled(progress->opts)) {
                rc = omsi_error_set(err, OMSI_ERR_CANCELLED, "conversion cancelled");
                break;
            }
            uint64_t nz = info->nz - z0 < z_block ? info->nz - z0 : z_block;
            hsize_t start[3] = {x0, 0, z0}, count[3] = {nx, info->ny, nz};
            hid_t mem = H5Screate_simple(3, count, NULL);
            if (mem < 0 ||
                H5Sselect_hyperslab(src_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
                H5Sselect_hyperslab(dst_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
                H5Dread(d->cube, mem_type, mem, src_space, H5P_DEFAULT, buf) < 0 ||
                H5Dwrite(d->copy, mem_type, mem, dst_space, H5P_DEFAULT, buf) < 0)
                rc = omsi_h5_fail(err, "%s/data_1: image-chunked copy", where);
            if (mem >= 0)
                H5Sclose(mem);
            report(progress, "image copy");
        }
    }
done:
    free(buf);
    if (src_space >= 0)
        H5Sclose(src_space);
    if (dst_space >= 0)
        H5Sclose(dst_space);
    return rc;
}

/* data_1 from the reader instead of from data_0, for cubes whose spectrum
 * chunks cannot stay cached while data_0 is read in image order: each pass
 * re-reads the input and keeps one block of x_tile x Y x z_block values,
 * written as whole image chunks. Passes = cube bytes / block bytes. */
static int fill_copy_from_reader(omsi_reader *r, const omsi_dataset_info *info, omsi_msidata *d,
                                 omsi_write_progress *progress, const char *where, omsi_error *err)
{
    size_t item = omsi_dtype_size(info->dtype);
    uint64_t cx = chunk_dim(d->copy, 0);
    uint64_t row = info->ny * item; /* one x of one bin */
    uint64_t plane = info->nx * row;
    uint64_t z_block = OMSI_CONVERT_BLOCK_BYTES / (plane ? plane : 1);
    uint64_t x_tile = info->nx;
    if (z_block == 0) { /* one plane is larger than a block: tile along x */
        z_block = 1;
        x_tile = OMSI_CONVERT_BLOCK_BYTES / row / cx * cx;
        if (x_tile == 0)
            x_tile = cx;
    }
    if (z_block > info->nz)
        z_block = info->nz;
    unsigned char *buf = malloc((size_t)(x_tile * row * z_block));
    hid_t dst_space = H5Dget_space(d->copy);
    hid_t mem_type = omsi_h5_mem_type(info->dtype);
    int rc = buf ? 0 : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory for the image-chunked copy");
    for (uint64_t x0 = 0; x0 < info->nx && !rc; x0 += x_tile) {
        uint64_t nx = info->nx - x0 < x_tile ? info->nx - x0 : x_tile;
        for (uint64_t z0 = 0; z0 < info->nz && !rc; z0 += z_block) {
            uint64_t nz = info->nz - z0 < z_block ? info->nz - z0 : z_block;
            memset(buf, 0, (size_t)(nx * row * nz)); /* pixels without a spectrum stay zero */
            rc = omsi_reader_rewind(r, err);
            omsi_spectrum s;
            int more = 0;
            while (!rc && (more = omsi_reader_next(r, &s, err)) == 1) {
                if (cancelled(progress->opts)) {
                    rc = omsi_error_set(err, OMSI_ERR_CANCELLED, "conversion cancelled");
                    break;
                }
                if (s.x < x0 || s.x >= x0 + nx)
                    continue;
                memcpy(buf + (((s.x - x0) * info->ny + s.y) * nz) * item,
                       (const unsigned char *)s.intensities + z0 * item, (size_t)(nz * item));
            }
            if (!rc && more < 0)
                rc = err->status ? err->status : OMSI_ERR_FORMAT;
            hsize_t start[3] = {x0, 0, z0}, count[3] = {nx, info->ny, nz};
            hid_t mem = rc ? -1 : H5Screate_simple(3, count, NULL);
            if (!rc && (mem < 0 || H5Sselect_hyperslab(dst_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
                        H5Dwrite(d->copy, mem_type, mem, dst_space, H5P_DEFAULT, buf) < 0))
                rc = omsi_h5_fail(err, "%s/data_1: image-chunked copy", where);
            if (mem >= 0)
                H5Sclose(mem);
            report(progress, "image copy");
        }
    }
    free(buf);
    if (dst_space >= 0)
        H5Sclose(dst_space);
    return rc;
}

int omsi_write_selection(omsi_reader *r, const omsi_dataset_info *info, omsi_msidata *d,
                         omsi_converted_dataset *cd, omsi_write_progress *progress,
                         omsi_error *err)
{
    int rc = write_spectra(r, info, d, cd, progress, err);
    if (rc || d->copy < 0 || info->nx * info->ny * info->nz == 0)
        return rc;
    /* Reading data_0 back is cheapest while one band of its spectrum chunks
     * fits the chunk cache; beyond that every chunk would be inflated once
     * per block, so the input is re-read instead. */
    uint64_t band = chunk_dim(d->copy, 0) * info->ny * chunk_dim(d->cube, 2) * omsi_dtype_size(info->dtype);
    uint64_t limit = progress->opts->readback_cache_bytes ? progress->opts->readback_cache_bytes
                                                           : OMSI_CONVERT_READBACK_CACHE;
    if (band <= limit)
        return fill_copy(info, d, progress, cd->hdf5_path, err);
    return fill_copy_from_reader(r, info, d, progress, cd->hdf5_path, err);
}
