/* Analyze 7.5 fixtures. The cube the reader reports is (p->nx, p->ny, p->nz)
 * with the generated content, so the file has dim[3] = nx, dim[2] = ny.
 * Variants: hdr384 (384-byte header), vox_offset=N, truncated (.img one
 * byte short), long (.img one byte long), no_t2m, no_img, t2m_odd (.t2m not a
 * multiple of 4), bad_sizeof, bad_bitpix, datatype=N (raw code), huge_dims
 * (65535 x 65535 pixels over a tiny .img), zero_dims, negative (int16 values
 * written negative). */
#include "tools/gen.h"
#include "readers/img_header.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put16(unsigned char *p, uint16_t v, bool big)
{
    p[big ? 1 : 0] = (unsigned char)v;
    p[big ? 0 : 1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v, bool big)
{
    for (int i = 0; i < 4; i++)
        p[big ? 3 - i : i] = (unsigned char)(v >> (8 * i));
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static uint16_t swap16(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }
static uint32_t swap32(uint32_t v) { return (uint32_t)swap16((uint16_t)v) << 16 | swap16((uint16_t)(v >> 16)); }
static uint64_t swap64(uint64_t v) { return (uint64_t)swap32((uint32_t)v) << 32 | swap32((uint32_t)(v >> 32)); }

/* Stores value v (a non-negative integer, or its negative) as one element
 * of type t, byte-swapped when swap. Fixed-size copies: this runs per value
 * of multi-GB fixtures. */
static void put_value(unsigned char *p, omsi_dtype t, double v, bool swap)
{
    switch (t) {
    case OMSI_DT_UINT8: *p = (unsigned char)v; break;
    case OMSI_DT_INT16:
    case OMSI_DT_UINT16: {
        int16_t x = (int16_t)v;
        uint16_t u;
        memcpy(&u, &x, 2);
        u = swap ? swap16(u) : u;
        memcpy(p, &u, 2);
        break;
    }
    case OMSI_DT_INT32: {
        int32_t x = (int32_t)v;
        uint32_t u;
        memcpy(&u, &x, 4);
        u = swap ? swap32(u) : u;
        memcpy(p, &u, 4);
        break;
    }
    case OMSI_DT_FLOAT32: {
        float x = (float)v;
        uint32_t u;
        memcpy(&u, &x, 4);
        u = swap ? swap32(u) : u;
        memcpy(p, &u, 4);
        break;
    }
    default: {
        uint64_t u;
        memcpy(&u, &v, 8);
        u = swap ? swap64(u) : u;
        memcpy(p, &u, 8);
        break;
    }
    }
}

static int write_header(const char *dir, const char *name, const omsi_gen_params *p,
                        int16_t code, int16_t bitpix, omsi_error *err)
{
    bool big = p->big_endian;
    long vox = 0, raw_code = 0;
    omsi_gen_variant(p, "vox_offset", 0, &vox);
    unsigned char h[OMSI_IMG_HDR_VARIANT] = {0};
    size_t size = omsi_gen_variant(p, "hdr384", 0, NULL) ? OMSI_IMG_HDR_VARIANT : OMSI_IMG_HDR_STANDARD;
    put32(h, omsi_gen_variant(p, "bad_sizeof", 0, NULL) ? 123u : (uint32_t)size, big);
    memcpy(h + 4, "dsr", 3);
    memcpy(h + 14, "omsi-gen", 8);
    put32(h + 32, 16384, big);
    h[38] = 'r';
    uint16_t nx = (uint16_t)p->nx, ny = (uint16_t)p->ny;
    if (omsi_gen_variant(p, "huge_dims", 0, NULL))
        nx = ny = 65535;
    if (omsi_gen_variant(p, "zero_dims", 0, NULL))
        nx = 0;
    uint16_t dim[8] = {4, (uint16_t)(p->nz > 32767 ? 32767 : p->nz), ny, nx, 1, 0, 0, 0};
    for (int i = 0; i < 8; i++) {
        put16(h + 40 + 2 * i, dim[i], big);
        put32(h + 76 + 4 * i, f32_bits(i ? 1.0f : 0.0f), big);
    }
    memcpy(h + 56, "mm", 2);
    if (omsi_gen_variant(p, "datatype", 0, &raw_code))
        code = (int16_t)raw_code;
    put16(h + 70, (uint16_t)code, big);
    put16(h + 72, (uint16_t)(omsi_gen_variant(p, "bad_bitpix", 0, NULL) ? bitpix + 1 : bitpix), big);
    put32(h + 108, f32_bits((float)vox), big);
    snprintf((char *)h + 148, 80, "omsi-gen fixture seed %u", (unsigned)p->seed);
    memcpy(h + 253, "omsi-gen", 8);
    return omsi_gen_write_file(dir, name, h, size, err);
}

static int write_t2m(const char *dir, const char *name, const omsi_gen_params *p, omsi_error *err)
{
    size_t n = (size_t)p->nz * 4 + (omsi_gen_variant(p, "t2m_odd", 0, NULL) ? 2 : 0);
    unsigned char *buf = calloc(1, n ? n : 1);
    if (!buf)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    for (uint64_t k = 0; k < p->nz; k++)
        put32(buf + 4 * k, f32_bits((float)omsi_gen_mz(p, k)), p->big_endian);
    int rc = omsi_gen_write_file(dir, name, buf, n, err);
    free(buf);
    return rc;
}

/* Streams the .img spectrum by spectrum (fixtures for benchmarks are GBs). */
static int write_img(const char *dir, const char *name, const omsi_gen_params *p, omsi_dtype t,
                     omsi_error *err)
{
    char *path = omsi_path_join(dir, name);
    size_t item = omsi_dtype_size(t);
    unsigned char *spectrum = malloc((size_t)p->nz * item + 1);
    double *values = malloc((size_t)p->nz * sizeof *values);
    omsi_gen_tables *tables = NULL;
    FILE *f = path ? fopen(path, "wb") : NULL;
    int rc = 0;
    if (!path || !spectrum || !values) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = omsi_gen_tables_new(p, &tables, err)))
        goto done;
    if (!f) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
        goto done;
    }
    long vox = 0;
    omsi_gen_variant(p, "vox_offset", 0, &vox);
    for (long i = 0; i < vox; i++)
        fputc(0xEE, f);
    bool negative = omsi_gen_variant(p, "negative", 0, NULL);
    bool swap = p->big_endian == omsi_host_is_little_endian();
    uint64_t spectra = p->nx * p->ny;
    if (omsi_gen_variant(p, "truncated", 0, NULL) && spectra > 0)
        spectra--; /* the last spectrum is written short below */
    for (uint64_t s = 0; s < p->nx * p->ny; s++) {
        uint64_t x = s / p->ny, y = s % p->ny;
        omsi_gen_spectrum(tables, x, y, p->nz, values);
        for (uint64_t k = 0; k < p->nz; k++) {
            double v = values[k];
            put_value(spectrum + k * item, t, negative && k == 0 ? -v - 1 : v, swap);
        }
        size_t n = (size_t)p->nz * item;
        if (s >= spectra)
            n -= 1;
        if (fwrite(spectrum, 1, n, f) != n) {
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "write %s", path);
            goto done;
        }
    }
    if (omsi_gen_variant(p, "long", 0, NULL))
        fputc(0, f);
done:
    if (f && fclose(f) != 0 && rc == 0)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "close %s", path);
    omsi_gen_tables_free(tables);
    free(values);
    free(spectrum);
    free(path);
    return rc;
}

int omsi_gen_img(const char *dir, const char *stem, const omsi_gen_params *p,
                 char **dataset_path, omsi_error *err)
{
    if (dataset_path)
        *dataset_path = NULL;
    int16_t bitpix = 0;
    int code = omsi_img_code_for_dtype(p->dtype, &bitpix);
    if (code < 0)
        return omsi_error_set(err, OMSI_ERR_USAGE,
                              "img fixtures store uint8, int16, int32, float32 or float64, not %s",
                              omsi_dtype_name(p->dtype));
    if (p->nx == 0 || p->ny == 0 || p->nx > 65535 || p->ny > 65535 || p->nz == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "img fixtures need 1..65535 pixels per side and nz > 0");
    omsi_dtype t = p->dtype == OMSI_DT_UINT16 ? OMSI_DT_INT16 : p->dtype;
    size_t len = strlen(stem) + 5;
    char *hdr = malloc(len), *t2m = malloc(len), *img = malloc(len);
    int rc = 0;
    if (!hdr || !t2m || !img) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(hdr, len, "%s.hdr", stem);
    snprintf(t2m, len, "%s.t2m", stem);
    snprintf(img, len, "%s.img", stem);
    rc = omsi_gen_mkdirs(dir, err);
    if (!rc)
        rc = write_header(dir, hdr, p, (int16_t)code, bitpix, err);
    if (!rc && !omsi_gen_variant(p, "no_t2m", 0, NULL))
        rc = write_t2m(dir, t2m, p, err);
    if (!rc && !omsi_gen_variant(p, "no_img", 0, NULL))
        rc = write_img(dir, img, p, t, err);
    if (!rc && dataset_path && !(*dataset_path = omsi_path_join(dir, hdr)))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
done:
    free(hdr);
    free(t2m);
    free(img);
    return rc;
}
