/* Unit tests of the fixture content (tools/gen_common.c): closed content
 * unchanged, realistic content deterministic, integral, peaked, spatially
 * structured and about as compressible as real MSI data. */
#include "tools/gen.h"
#include "tests/test_support.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static omsi_gen_params realistic(uint64_t nx, uint64_t ny, uint64_t nz, uint32_t seed)
{
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = nx;
    p.ny = ny;
    p.nz = nz;
    p.seed = seed;
    p.dtype = OMSI_DT_INT16;
    p.content = OMSI_GEN_REALISTIC;
    return p;
}

/* The whole cube, spectrum by spectrum (x outer), through the fast path. */
static double *cube(const omsi_gen_params *p)
{
    double *c = malloc((size_t)(p->nx * p->ny * p->nz) * sizeof *c);
    ck_assert_ptr_nonnull(c);
    omsi_gen_tables *t = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_tables_new(p, &t, &err), 0);
    for (uint64_t x = 0; x < p->nx; x++)
        for (uint64_t y = 0; y < p->ny; y++)
            omsi_gen_spectrum(t, x, y, p->nz, c + (size_t)((x * p->ny + y) * p->nz));
    omsi_gen_tables_free(t);
    return c;
}

START_TEST(closed_content_unchanged)
{
    omsi_gen_params p = omsi_gen_params_default();
    ck_assert_int_eq(p.content, OMSI_GEN_CLOSED);
    ck_assert(omsi_gen_intensity(&p, 0, 0, 0) == 13);
    ck_assert(omsi_gen_intensity(&p, 1, 2, 3) == 99);
    ck_assert(omsi_gen_intensity(&p, 100, 7, 9) == 32);
    ck_assert(omsi_gen_mz(&p, 4) == 102.0);
    p.seed = 5;
    ck_assert(omsi_gen_intensity(&p, 3, 2, 49) == 33);
    /* the spectrum path gives the same */
    omsi_gen_tables *t = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_tables_new(&p, &t, &err), 0);
    double s[50];
    omsi_gen_spectrum(t, 3, 2, 50, s);
    for (uint64_t k = 0; k < 50; k++)
        ck_assert(s[k] == omsi_gen_intensity(&p, 3, 2, k));
    omsi_gen_tables_free(t);
}
END_TEST

START_TEST(realistic_deterministic)
{
    omsi_gen_params p = realistic(20, 15, 600, 7);
    omsi_gen_params q = p;
    q.seed = 8;
    int differ = 0;
    for (uint64_t k = 0; k < p.nz; k += 7) {
        double v = omsi_gen_intensity(&p, 3, 11, k);
        ck_assert(v == omsi_gen_intensity(&p, 3, 11, k));
        differ += v != omsi_gen_intensity(&q, 3, 11, k);
    }
    ck_assert_int_gt(differ, 10);
    /* the fast path reproduces the pure function bit for bit, also past nz
     * (Bruker td_mismatch asks for nz + 1 bins) */
    omsi_gen_tables *t = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_tables_new(&p, &t, &err), 0);
    double s[602];
    const uint64_t pixels[][2] = {{0, 0}, {10, 7}, {19, 14}, {4, 12}};
    for (size_t i = 0; i < sizeof pixels / sizeof pixels[0]; i++) {
        omsi_gen_spectrum(t, pixels[i][0], pixels[i][1], 602, s);
        for (uint64_t k = 0; k < 602; k++)
            ck_assert_msg(s[k] == omsi_gen_intensity(&p, pixels[i][0], pixels[i][1], k),
                          "pixel %zu bin %llu: %g", i, (unsigned long long)k, s[k]);
    }
    omsi_gen_tables_free(t);
}
END_TEST

START_TEST(realistic_nonnegative_integers)
{
    omsi_gen_params p = realistic(16, 16, 1500, 3);
    double *c = cube(&p);
    double max = 0;
    for (size_t i = 0; i < 16 * 16 * 1500; i++) {
        ck_assert(c[i] >= 0 && c[i] <= 32767 && c[i] == floor(c[i]));
        max = c[i] > max ? c[i] : max;
    }
    ck_assert(max > 255); /* peaks go beyond uint8 ... */
    free(c);
    p.dtype = OMSI_DT_UINT8;
    c = cube(&p);
    for (size_t i = 0; i < 16 * 16 * 1500; i++)
        ck_assert(c[i] >= 0 && c[i] <= 255 && c[i] == floor(c[i]));
    free(c);
    /* ... and are clamped where the type ends */
    ck_assert(omsi_gen_intensity(&p, 8, 8, 0) <= 255);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

START_TEST(realistic_peaks_and_ion_images)
{
    omsi_gen_params p = realistic(32, 32, 2000, 1);
    double *c = cube(&p);
    size_t npix = 32 * 32;
    double *mean = calloc(p.nz, sizeof *mean), *sorted = malloc(p.nz * sizeof *sorted);
    ck_assert_ptr_nonnull(mean);
    ck_assert_ptr_nonnull(sorted);
    for (size_t s = 0; s < npix; s++)
        for (size_t k = 0; k < p.nz; k++)
            mean[k] += c[s * p.nz + k] / (double)npix;
    memcpy(sorted, mean, p.nz * sizeof *sorted);
    qsort(sorted, p.nz, sizeof *sorted, cmp_double);
    double median = sorted[p.nz / 2], top = sorted[p.nz - 1];
    /* a low baseline with peaks well above it in the mean spectrum */
    ck_assert_msg(median > 0.3 && median < 20, "median %g", median);
    ck_assert_msg(top > 20 * median, "top %g, median %g", top, median);
    /* among the peak bins, ion images are structured: variance over the
     * image well beyond the Poisson variance (= mean) of a flat image */
    int structured = 0, peaks = 0;
    for (size_t k = 0; k < p.nz; k++) {
        if (mean[k] < 10 * median)
            continue;
        peaks++;
        double var = 0, lo = INFINITY, hi = -INFINITY;
        for (size_t s = 0; s < npix; s++) {
            double v = c[s * p.nz + k], d = v - mean[k];
            var += d * d / (double)npix;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        ck_assert(hi > lo);
        structured += var > 4 * mean[k];
    }
    ck_assert_int_gt(peaks, 20);
    ck_assert_msg(structured > peaks / 2, "%d of %d peak bins structured", structured, peaks);
    free(sorted);
    free(mean);
    free(c);
}
END_TEST

START_TEST(realistic_compresses_like_msi)
{
    omsi_gen_params p = realistic(32, 32, 2000, 1);
    double *c = cube(&p);
    size_t n = 32 * 32 * 2000;
    int16_t *raw = malloc(n * sizeof *raw);
    uLongf cap = compressBound((uLong)(n * sizeof *raw));
    unsigned char *packed = malloc(cap);
    ck_assert_ptr_nonnull(raw);
    ck_assert_ptr_nonnull(packed);
    for (size_t i = 0; i < n; i++)
        raw[i] = (int16_t)c[i];
    ck_assert_int_eq(compress2(packed, &cap, (const Bytef *)raw, (uLong)(n * sizeof *raw), 4), Z_OK);
    double ratio = (double)(n * sizeof *raw) / (double)cap;
    ck_assert_msg(ratio >= 2.5 && ratio <= 8, "zlib -4 ratio %.2f", ratio);
    free(packed);
    free(raw);
    free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gen");
    TCase *tc = tcase_create("gen");
    tcase_add_test(tc, closed_content_unchanged);
    tcase_add_test(tc, realistic_deterministic);
    tcase_add_test(tc, realistic_nonnegative_integers);
    tcase_add_test(tc, realistic_peaks_and_ion_images);
    tcase_add_test(tc, realistic_compresses_like_msi);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
