/* src/writer/summary + omsi_analysis: the summaries computed in the
 * conversion pass (TIC and base-peak images, mean and max spectra, peaks of
 * the mean spectrum), checked through the HDF5 C API against the
 * generator's known content and its known peak positions. */
#include "tests/test_support.h"
#include "tools/gen.h"
#include "writer/convert.h"
#include "writer/summary.h"

#include <check.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *read_doubles(hid_t file, const char *path, hsize_t *n)
{
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    ck_assert_msg(ds >= 0, "no dataset %s", path);
    hid_t space = H5Dget_space(ds);
    hssize_t count = H5Sget_simple_extent_npoints(space);
    double *v = malloc((size_t)(count > 0 ? count : 1) * sizeof *v);
    ck_assert(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Sclose(space);
    H5Dclose(ds);
    *n = (hsize_t)count;
    return v;
}

static char *read_text(hid_t file, const char *path)
{
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    ck_assert_msg(ds >= 0, "no dataset %s", path);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *value = NULL;
    ck_assert(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) >= 0);
    char *copy = strdup(value);
    H5free_memory(value);
    H5Tclose(t);
    H5Dclose(ds);
    return copy;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

START_TEST(noise_level_ignores_peaks)
{
    double v[300], scratch[255];
    for (int i = 0; i < 300; i++)
        v[i] = 10 + (i % 3); /* 10, 11, 12: median 11, MAD 1 */
    v[150] = 5000;
    ck_assert_double_eq_tol(omsi_noise_level(v, 300, scratch), 11 + 3 * 1.4826, 1e-9);
    ck_assert_double_eq(omsi_noise_level(v, 0, scratch), 0);
    /* The selection gives what sorting gives, on random arrays with ties. */
    uint32_t rnd = 7;
    for (int n = 1; n <= 300; n++) {
        for (int i = 0; i < n; i++) {
            rnd = rnd * 1664525u + 1013904223u;
            v[i] = (double)((rnd >> 8) % (n < 50 ? 5 : 1000));
        }
        size_t m = n < 255 ? (size_t)n : 255;
        double sorted[300];
        for (size_t i = 0; i < m; i++)
            sorted[i] = v[(uint64_t)i * (uint64_t)n / m];
        qsort(sorted, m, sizeof *sorted, compare);
        double med = m % 2 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
        for (size_t i = 0; i < m; i++)
            sorted[i] = fabs(sorted[i] - med);
        qsort(sorted, m, sizeof *sorted, compare);
        double mad = m % 2 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
        ck_assert_double_eq_tol(omsi_noise_level(v, (uint64_t)n, scratch), med + 3 * 1.4826 * mad, 1e-9);
    }
}
END_TEST

/* The integer paths of omsi_summary_add (integer TIC and base peak, the
 * noise count against an integer threshold, bins in blocks) give exactly
 * what the plain double loop gives: ragged lengths (not a multiple of the
 * blocks), negative values, a noise level that falls between integers and
 * values equal to it. */
START_TEST(integer_paths_equal_the_double_loop)
{
    enum { NZ = 1003 };
    static const omsi_dtype types[] = {OMSI_DT_UINT8, OMSI_DT_INT8, OMSI_DT_UINT16, OMSI_DT_INT16,
                                       OMSI_DT_UINT32, OMSI_DT_INT32, OMSI_DT_FLOAT32};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        omsi_summary s;
        omsi_error err = {0};
        ck_assert_int_eq(omsi_summary_init(&s, 2, 3, NZ, types[t], &err), 0);
        double ref_sum[NZ] = {0}, ref_max[NZ], scratch[255], v[NZ];
        uint32_t ref_above[NZ] = {0};
        for (size_t k = 0; k < NZ; k++)
            ref_max[k] = -INFINITY;
        unsigned char raw[NZ * 8];
        bool is_signed = types[t] == OMSI_DT_INT8 || types[t] == OMSI_DT_INT16 || types[t] == OMSI_DT_INT32 ||
                         types[t] == OMSI_DT_FLOAT32;
        for (uint64_t pix = 0; pix < 6; pix++) {
            for (size_t k = 0; k < NZ; k++) {
                /* small counts, a few large peaks */
                long x = (long)((k * 7 + pix * 13) % 11) + (k % 97 == 0 ? 100 : 0);
                v[k] = (double)(is_signed && k % 5 == 0 ? -x : x);
            }
            double sample[255];
            bool sampled[NZ] = {false};
            for (size_t i = 0; i < 255; i++) {
                sample[i] = v[(uint64_t)i * NZ / 255];
                sampled[(uint64_t)i * NZ / 255] = true;
            }
            double noise = omsi_noise_level(sample, 255, scratch);
            ck_assert(noise != floor(noise)); /* between two integers */
            /* values right at the threshold, in bins the noise sample skips */
            for (size_t k = 0; k < NZ; k++)
                if (!sampled[k] && k % 3 == 0)
                    v[k] = k % 2 ? floor(noise) : ceil(noise);
            for (size_t k = 0; k < NZ; k++) {
                long x = (long)v[k];
                switch (types[t]) {
                case OMSI_DT_UINT8: ((uint8_t *)raw)[k] = (uint8_t)x; break;
                case OMSI_DT_INT8: ((int8_t *)raw)[k] = (int8_t)x; break;
                case OMSI_DT_UINT16: ((uint16_t *)raw)[k] = (uint16_t)x; break;
                case OMSI_DT_INT16: ((int16_t *)raw)[k] = (int16_t)x; break;
                case OMSI_DT_UINT32: ((uint32_t *)raw)[k] = (uint32_t)x; break;
                case OMSI_DT_INT32: ((int32_t *)raw)[k] = (int32_t)x; break;
                default: ((float *)raw)[k] = (float)x; break;
                }
            }
            double total = 0, top = v[0];
            for (size_t k = 0; k < NZ; k++) {
                total += v[k];
                top = v[k] > top ? v[k] : top;
                ref_sum[k] += v[k];
                ref_max[k] = v[k] > ref_max[k] ? v[k] : ref_max[k];
                ref_above[k] += v[k] > noise;
            }
            ck_assert_msg(omsi_summary_add(&s, pix / 3, pix % 3, raw) == total, "type %d: TIC", (int)types[t]);
            ck_assert_double_eq(s.tic[pix], total);
            ck_assert_double_eq(s.base_peak[pix], top);
        }
        for (size_t k = 0; k < NZ; k++) {
            ck_assert_msg(s.sum[k] == ref_sum[k] && s.max[k] == ref_max[k] && s.above[k] == ref_above[k],
                          "type %d bin %zu: sum %g/%g max %g/%g above %u/%u", (int)types[t], k, s.sum[k],
                          ref_sum[k], s.max[k], ref_max[k], s.above[k], ref_above[k]);
        }
        omsi_summary_free(&s);
    }
}
END_TEST

START_TEST(peaks_of_a_synthetic_mean_spectrum)
{
    /* Two pixels, a falling baseline and two Gaussians at bins 200.3 and 700.0. */
    enum { NZ = 1000 };
    omsi_summary s;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_summary_init(&s, 2, 1, NZ, OMSI_DT_FLOAT64, &err), 0);
    double spectrum[NZ], mz[NZ];
    for (int k = 0; k < NZ; k++) {
        mz[k] = 100 + 0.5 * k;
        spectrum[k] = 10 * exp(-3.0 * k / NZ) + 0.01 * ((k * 7919) % 13) +
                      300 * exp(-0.5 * pow((k - 200.3) / 1.2, 2)) + 40 * exp(-0.5 * pow((k - 700) / 0.9, 2));
    }
    omsi_summary_add(&s, 0, 0, spectrum);
    omsi_summary_add(&s, 1, 0, spectrum);
    omsi_peak *peaks = NULL;
    size_t n = 0;
    ck_assert_int_eq(omsi_summary_peaks(&s, mz, 500, &peaks, &n, &err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_double_eq_tol(peaks[0].mz, 100 + 0.5 * 200.3, 0.02);
    ck_assert_double_eq_tol(peaks[1].mz, 100 + 0.5 * 700.0, 0.02);
    ck_assert_uint_eq(peaks[0].bin, 200);
    ck_assert_double_eq(peaks[0].coverage, 1.0);
    ck_assert_double_eq_tol(s.tic[0], s.tic[1], 1e-9);
    ck_assert_double_eq(s.base_peak[0], spectrum[200]);
    free(peaks);
    /* max_peaks keeps the strongest. */
    ck_assert_int_eq(omsi_summary_peaks(&s, mz, 1, &peaks, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(peaks[0].bin, 200);
    free(peaks);
    omsi_summary_free(&s);
}
END_TEST

START_TEST(converted_file_holds_the_summaries)
{
    char *dir = omsi_test_mkdtemp("summary");
    omsi_gen_params p = omsi_gen_params_default();
    p.nx = 24;
    p.ny = 20;
    p.nz = 1300;
    p.dtype = OMSI_DT_INT16;
    p.content = OMSI_GEN_REALISTIC;
    char *input = NULL, out[4096];
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(dir, "s", &p, &input, &err), 0);
    snprintf(out, sizeof out, "%s/s.h5", dir);
    omsi_convert_options o = omsi_convert_options_default();
    o.threads = 2;
    omsi_convert_result res;
    const char *inputs[] = {input};
    ck_assert_msg(omsi_convert(inputs, 1, out, false, &o, &res, &err) == 0, "%s", err.message);
    ck_assert_str_eq(res.datasets[0].analysis_path, "/entry_0/analysis_0");
    ck_assert_uint_gt(res.datasets[0].n_peaks, 10);

    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    char *type = read_text(f, "/entry_0/analysis_0/analysis_type");
    ck_assert_str_eq(type, "omsi_catalog_summary");
    free(type);
    char *target = read_text(f, "/entry_0/analysis_0/dependency/msidata/main_name");
    ck_assert_str_eq(target, "/entry_0/data_0");
    free(target);
    hsize_t n_tic, n_bp, n_mean, n_max, n_mz, n_cov;
    double *tic = read_doubles(f, "/entry_0/analysis_0/tic_image", &n_tic);
    double *bp = read_doubles(f, "/entry_0/analysis_0/base_peak_image", &n_bp);
    double *mean = read_doubles(f, "/entry_0/analysis_0/mean_spectrum", &n_mean);
    double *max = read_doubles(f, "/entry_0/analysis_0/max_spectrum", &n_max);
    double *pmz = read_doubles(f, "/entry_0/analysis_0/peak_mz", &n_mz);
    double *cov = read_doubles(f, "/entry_0/analysis_0/peak_coverage", &n_cov);
    ck_assert_uint_eq(n_tic, 480);
    ck_assert_uint_eq(n_mean, 1300);
    ck_assert_uint_eq(n_mz, res.datasets[0].n_peaks);
    /* Images and spectra equal the generator's values. */
    double *sum = calloc(1300, sizeof *sum), *top = calloc(1300, sizeof *top), spectrum[1300];
    omsi_gen_tables *tables;
    ck_assert_int_eq(omsi_gen_tables_new(&p, &tables, &err), 0);
    for (uint64_t x = 0; x < 24; x++)
        for (uint64_t y = 0; y < 20; y++) {
            omsi_gen_spectrum(tables, x, y, 1300, spectrum);
            double t = 0, b = 0;
            for (int k = 0; k < 1300; k++) {
                t += spectrum[k];
                b = spectrum[k] > b ? spectrum[k] : b;
                sum[k] += spectrum[k];
                top[k] = spectrum[k] > top[k] ? spectrum[k] : top[k];
            }
            ck_assert_double_eq(tic[x * 20 + y], t);
            ck_assert_double_eq(bp[x * 20 + y], b);
            ck_assert_double_eq(res.datasets[0].tic_image[x * 20 + y], t);
        }
    for (int k = 0; k < 1300; k++) {
        ck_assert_double_eq_tol(mean[k], sum[k] / 480, 1e-9);
        ck_assert_double_eq(max[k], top[k]);
    }
    /* Every tall generated peak with no other peak within 8 bins is found
     * within half a bin of its centre. */
    omsi_gen_peak gp[400];
    size_t ng = omsi_gen_peaks(&p, gp, 400), checked = 0;
    for (size_t j = 0; j < ng; j++) {
        if (gp[j].height < 80 || gp[j].center_bin < 8 || gp[j].center_bin > 1290)
            continue;
        bool alone = true;
        for (size_t i = 0; i < ng; i++)
            if (i != j && fabs(gp[i].center_bin - gp[j].center_bin) < 8 && gp[i].height > 2)
                alone = false;
        if (!alone)
            continue;
        double want = omsi_gen_mz(&p, 0) + 0.5 * gp[j].center_bin, best = INFINITY;
        for (hsize_t i = 0; i < n_mz; i++)
            best = fabs(pmz[i] - want) < best ? fabs(pmz[i] - want) : best;
        ck_assert_msg(best <= 0.25, "generated peak at m/z %.4f (height %.0f) not found (nearest %.4f away)",
                      want, gp[j].height, best);
        checked++;
    }
    ck_assert_uint_ge(checked, 3);
    for (hsize_t i = 0; i < n_cov; i++)
        ck_assert(cov[i] >= 0 && cov[i] <= 1);
    for (hsize_t i = 1; i < n_mz; i++)
        ck_assert(pmz[i] > pmz[i - 1]);
    omsi_gen_tables_free(tables);
    free(sum);
    free(top);
    free(tic);
    free(bp);
    free(mean);
    free(max);
    free(pmz);
    free(cov);
    H5Fclose(f);
    omsi_convert_result_free(&res);

    /* Without summaries: no analysis group. */
    snprintf(out, sizeof out, "%s/none.h5", dir);
    o.summaries = false;
    ck_assert_msg(omsi_convert(inputs, 1, out, false, &o, &res, &err) == 0, "%s", err.message);
    ck_assert_str_eq(res.datasets[0].analysis_path, "");
    f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_eq(H5Lexists(f, "/entry_0/analysis_0", H5P_DEFAULT), 0);
    H5Fclose(f);
    omsi_convert_result_free(&res);
    free(input);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("summary");
    TCase *tc = tcase_create("summary");
    tcase_add_test(tc, noise_level_ignores_peaks);
    tcase_add_test(tc, integer_paths_equal_the_double_loop);
    tcase_add_test(tc, peaks_of_a_synthetic_mean_spectrum);
    tcase_add_test(tc, converted_file_holds_the_summaries);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
