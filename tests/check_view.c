/* src/view: colour maps, scales, ticks, PNG files (decoded again with
 * libpng) and ion images / spectra read back from converted generated
 * datasets, compared with the generator's known content. */
#include "tests/test_support.h"
#include "tools/gen.h"
#include "view/colormap.h"
#include "view/omsi_view.h"
#include "view/plot.h"
#include "view/png_write.h"
#include "view/view_image.h"
#include "view/view_spectrum.h"
#include "writer/convert.h"

#include <check.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Decodes an 8-bit RGB PNG with libpng's simplified API. */
static uint8_t *decode_png(const char *path, uint32_t *w, uint32_t *h)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    ck_assert_msg(png_image_begin_read_from_file(&image, path), "%s: %s", path, image.message);
    image.format = PNG_FORMAT_RGB;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(image));
    ck_assert_ptr_nonnull(buf);
    ck_assert_msg(png_image_finish_read(&image, NULL, buf, 0, NULL), "%s: %s", path, image.message);
    *w = image.width;
    *h = image.height;
    return buf;
}

START_TEST(colormaps_hit_their_anchors)
{
    omsi_colormap m;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_colormap_build("viridis", &m, &err), 0);
    /* viridisLite::viridis(5): #440154 ... #21908C ... #FDE725 */
    ck_assert_uint_eq(m.rgb[0][0], 0x44);
    ck_assert_uint_eq(m.rgb[0][1], 0x01);
    ck_assert_uint_eq(m.rgb[0][2], 0x54);
    ck_assert_uint_eq(m.rgb[255][0], 0xfd);
    ck_assert_uint_eq(m.rgb[255][1], 0xe7);
    ck_assert_uint_eq(m.rgb[255][2], 0x25);
    for (int c = 0; c < 3; c++)
        ck_assert_int_le(abs((int)m.rgb[128][c] - (int)((0x21908c >> (16 - 8 * c)) & 0xff)), 3);
    /* Lightness grows monotonically: the green channel of viridis rises. */
    for (int k = 1; k < 256; k++)
        ck_assert_uint_ge(m.rgb[k][1], m.rgb[k - 1][1]);
    ck_assert_int_eq(omsi_colormap_build("gray", &m, &err), 0);
    for (int k = 0; k < 256; k++)
        for (int c = 0; c < 3; c++)
            ck_assert_uint_eq(m.rgb[k][c], k);
    ck_assert_int_eq(omsi_colormap_build("jet", &m, &err), OMSI_ERR_USAGE);
    ck_assert_str_eq(err.message, "unknown colour map 'jet' (known: viridis, magma, inferno, cividis, gray)");
}
END_TEST

START_TEST(scales_and_ticks)
{
    ck_assert_uint_eq(omsi_scale_index(0, 0, 100, OMSI_SCALE_LINEAR), 0);
    ck_assert_uint_eq(omsi_scale_index(50, 0, 100, OMSI_SCALE_LINEAR), 128);
    ck_assert_uint_eq(omsi_scale_index(100, 0, 100, OMSI_SCALE_LINEAR), 255);
    ck_assert_uint_eq(omsi_scale_index(25, 0, 100, OMSI_SCALE_SQRT), 128);
    ck_assert_uint_eq(omsi_scale_index(expm1(log1p(100) / 2), 0, 100, OMSI_SCALE_LOG), 128);
    ck_assert_uint_eq(omsi_scale_index(7, 7, 7, OMSI_SCALE_LINEAR), 0); /* flat image */
    ck_assert_uint_eq(omsi_scale_index(NAN, 0, 1, OMSI_SCALE_LINEAR), 0);
    double t[16];
    unsigned n = omsi_plot_ticks(100, 1099.5, 8, t);
    ck_assert_uint_eq(n, 5);
    for (unsigned i = 0; i < n; i++)
        ck_assert_double_eq(t[i], 200.0 * (i + 1));
    n = omsi_plot_ticks(0, 0.037, 6, t);
    ck_assert_uint_eq(n, 4);
    ck_assert_double_eq_tol(t[3], 0.03, 1e-12);
}
END_TEST

START_TEST(png_round_trip_and_no_partial_file)
{
    char *dir = omsi_test_mkdtemp("view-png");
    char path[4096];
    snprintf(path, sizeof path, "%s/a.png", dir);
    const uint8_t rgb[2 * 3 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 252, 0, 0, 0, 255, 255, 255};
    omsi_error err = {0};
    ck_assert_int_eq(omsi_png_write(path, 3, 2, rgb, "t", &err), 0);
    uint32_t w, h;
    uint8_t *back = decode_png(path, &w, &h);
    ck_assert_uint_eq(w, 3);
    ck_assert_uint_eq(h, 2);
    ck_assert_mem_eq(back, rgb, sizeof rgb);
    free(back);
    ck_assert_uint_eq(omsi_test_count_entries(dir), 1);
    snprintf(path, sizeof path, "%s/missing/b.png", dir);
    ck_assert_int_eq(omsi_png_write(path, 3, 2, rgb, "t", &err), OMSI_ERR_IO);
    ck_assert_msg(strstr(err.message, path) != NULL, "%s", err.message);
    chmod(dir, 0500);
    snprintf(path, sizeof path, "%s/c.png", dir);
    int rc = omsi_png_write(path, 3, 2, rgb, "t", &err);
    chmod(dir, 0700);
    if (geteuid() != 0) /* root writes anyway */
        ck_assert_int_eq(rc, OMSI_ERR_IO);
    ck_assert_uint_eq(omsi_test_count_entries(dir), rc ? 1 : 2);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* A converted closed-content Analyze dataset: (31x + 17y + 7k + 13) mod 251. */
static char *convert_fixture(const char *dir, omsi_gen_params *p)
{
    *p = omsi_gen_params_default();
    p->nx = 20; /* big enough for data_0 and data_1 to be chunked differently */
    p->ny = 16;
    p->nz = 600;
    p->dtype = OMSI_DT_INT16;
    char *input = NULL, *output = malloc(4096);
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_img(dir, "v", p, &input, &err), 0);
    snprintf(output, 4096, "%s/v.h5", dir);
    omsi_convert_options o = omsi_convert_options_default();
    o.threads = 2;
    const char *inputs[] = {input};
    ck_assert_msg(omsi_convert(inputs, 1, output, false, &o, NULL, &err) == 0, "%s", err.message);
    free(input);
    return output;
}

START_TEST(images_and_spectra_hold_the_generated_values)
{
    char *dir = omsi_test_mkdtemp("view-data");
    omsi_gen_params p;
    char *h5 = convert_fixture(dir, &p);
    omsi_view v;
    omsi_error err = {0};
    ck_assert_msg(omsi_view_open(h5, "/entry_0/data_0", &v, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(v.shape[0], 20);
    ck_assert_uint_eq(v.shape[1], 16);
    ck_assert_uint_eq(v.shape[2], 600);
    ck_assert_uint_ge(v.n_copies, 2);
    for (uint64_t k = 0; k < 600; k++)
        ck_assert_double_eq_tol(v.mz[k], omsi_gen_mz(&p, k), 1e-3);
    double img[320], spectrum[600], mean[600], max[600];
    const char *copy = NULL;
    /* Bins 10..12, with a block of one bin at a time. */
    ck_assert_int_eq(omsi_view_image(&v, 10, 13, 320 * sizeof(double), img, &copy, &err), 0);
    ck_assert_str_eq(copy, "data_1"); /* the image-chunked copy */
    for (uint64_t x = 0; x < 20; x++)
        for (uint64_t y = 0; y < 16; y++) {
            double want = 0;
            for (uint64_t k = 10; k < 13; k++)
                want += omsi_gen_intensity(&p, x, y, k);
            ck_assert_double_eq(img[x * 16 + y], want);
        }
    ck_assert_int_eq(omsi_view_spectrum(&v, 19, 4, spectrum, &copy, &err), 0);
    ck_assert_str_eq(copy, "data_0");
    for (uint64_t k = 0; k < 600; k++)
        ck_assert_double_eq(spectrum[k], omsi_gen_intensity(&p, 19, 4, k));
    ck_assert_int_eq(omsi_view_spectrum(&v, 20, 0, spectrum, &copy, &err), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "pixel (20, 0) is outside the 20 x 16 grid") != NULL, "%s", err.message);
    /* Mean and max in slabs smaller than one x row. */
    ck_assert_int_eq(omsi_view_mean_max(&v, 5 * 600 * sizeof(double), mean, max, &copy, &err), 0);
    for (uint64_t k = 0; k < 600; k++) {
        double sum = 0, top = 0;
        for (uint64_t x = 0; x < 20; x++)
            for (uint64_t y = 0; y < 16; y++) {
                double val = omsi_gen_intensity(&p, x, y, k);
                sum += val;
                top = val > top ? val : top;
            }
        ck_assert_double_eq_tol(mean[k], sum / 320, 1e-9);
        ck_assert_double_eq(max[k], top);
    }
    uint64_t z0, z1;
    ck_assert_int_eq(omsi_view_mz_window(&v, omsi_gen_mz(&p, 3) - 0.1, omsi_gen_mz(&p, 5) + 0.1, &z0, &z1, &err), 0);
    ck_assert_uint_eq(z0, 3);
    ck_assert_uint_eq(z1, 6);
    ck_assert_int_eq(omsi_view_mz_window(&v, 5000, 5001, &z0, &z1, &err), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "no m/z bin") != NULL, "%s", err.message);

    /* Rendered in gray: the picture's pixel (x, y) is the value's level. */
    omsi_colormap gray;
    ck_assert_int_eq(omsi_colormap_build("gray", &gray, &err), 0);
    omsi_render r = {.scale = OMSI_SCALE_LINEAR, .colormap = &gray, .zoom = 2};
    uint8_t *rgb = NULL;
    uint32_t w, h;
    double lo, hi;
    ck_assert_int_eq(omsi_render_image(img, 20, 16, &r, &rgb, &w, &h, &lo, &hi, &err), 0);
    ck_assert_uint_eq(w, 40);
    ck_assert_uint_eq(h, 32);
    ck_assert_double_eq(lo, 0);
    char png[4096];
    snprintf(png, sizeof png, "%s/ion.png", dir);
    ck_assert_int_eq(omsi_png_write(png, w, h, rgb, "ion", &err), 0);
    uint32_t pw, ph;
    uint8_t *back = decode_png(png, &pw, &ph);
    for (uint32_t row = 0; row < ph; row++)
        for (uint32_t col = 0; col < pw; col++) {
            double val = img[(col / 2) * 16 + row / 2];
            unsigned level = (unsigned)lround(val / hi * 255);
            ck_assert_uint_eq(back[(row * pw + col) * 3], level);
            ck_assert_uint_eq(back[(row * pw + col) * 3 + 2], level);
        }
    free(back);
    /* With the colour bar: the same pixels at the left, the bar to the right. */
    uint8_t *bar = NULL;
    uint32_t bw, bh;
    ck_assert_int_eq(omsi_plot_image_with_colorbar(img, 20, 16, &r, lo, hi, &bar, &bw, &bh, &err), 0);
    ck_assert_uint_eq(bw, 40 + OMSI_COLORBAR_WIDTH);
    ck_assert_uint_eq(bh, OMSI_COLORBAR_MIN_HEIGHT);
    for (uint32_t row = 0; row < h; row++)
        ck_assert_mem_eq(bar + (size_t)row * bw * 3, rgb + (size_t)row * w * 3, (size_t)w * 3);
    /* The bar's top is the map's last colour, its bottom the first. */
    const uint8_t *top = bar + ((size_t)15 * bw + w + 14) * 3, *bottom = bar + ((size_t)(bh - 16) * bw + w + 14) * 3;
    ck_assert_uint_ge(top[0], 250);
    ck_assert_uint_le(bottom[0], 5);
    free(bar);
    free(rgb);
    omsi_view_close(&v);
    free(h5);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(open_names_what_is_wrong)
{
    char *dir = omsi_test_mkdtemp("view-bad");
    omsi_gen_params p;
    char *h5 = convert_fixture(dir, &p);
    omsi_view v;
    omsi_error err = {0};
    ck_assert_int_ne(omsi_view_open(h5, "/entry_0/data_9", &v, &err), 0);
    ck_assert_msg(strstr(err.message, "no group /entry_0/data_9") != NULL, "%s", err.message);
    char notfile[4096];
    snprintf(notfile, sizeof notfile, "%s/v.img", dir);
    ck_assert_int_ne(omsi_view_open(notfile, "/entry_0/data_0", &v, &err), 0);
    ck_assert_msg(strstr(err.message, "cannot open as HDF5") != NULL, "%s", err.message);
    free(h5);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("view");
    TCase *tc = tcase_create("view");
    tcase_add_test(tc, colormaps_hit_their_anchors);
    tcase_add_test(tc, scales_and_ticks);
    tcase_add_test(tc, png_round_trip_and_no_partial_file);
    tcase_add_test(tc, images_and_spectra_hold_the_generated_values);
    tcase_add_test(tc, open_names_what_is_wrong);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
