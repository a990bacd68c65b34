#include "view/colormap.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* The ramps are rebuilt from a few published anchor colours of each map
 * (R viridisLite's viridis(5), magma(6), inferno(6), cividis(5): its ends and
 * evenly spaced points), interpolated in CIELAB so lightness grows
 * evenly between them: close to the original tables, perceptually uniform by
 * construction, and no 256-row table to carry. */
typedef struct ramp {
    const char *name;
    unsigned n;
    bool in_lab;         /* interpolate in CIELAB (else in sRGB) */
    uint32_t anchors[6]; /* 0xRRGGBB, evenly spaced from 0 to 1 */
} ramp;

static const ramp ramps[] = {
    {"viridis", 5, true, {0x440154, 0x3b528b, 0x21908c, 0x5dc863, 0xfde725}},
    {"magma", 6, true, {0x000004, 0x3b0f70, 0x8c2981, 0xde4968, 0xfe9f6d, 0xfcfdbf}},
    {"inferno", 6, true, {0x000004, 0x420a68, 0x932667, 0xdd513a, 0xfca50a, 0xfcffa4}},
    {"cividis", 5, true, {0x00204d, 0x414d6b, 0x7c7b78, 0xbcaf6f, 0xffea46}},
    /* Gray is the plain sRGB ramp (level k is k, k, k), as in other tools. */
    {"gray", 2, false, {0x000000, 0xffffff}},
};

const char *omsi_colormap_names(void)
{
    return "viridis, magma, inferno, cividis, gray";
}

static double srgb_to_linear(double c)
{
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double linear_to_srgb(double c)
{
    double s = c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055;
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

/* D65 white point. */
static const double white[3] = {0.95047, 1.0, 1.08883};

static double lab_f(double t)
{
    return t > 216.0 / 24389 ? cbrt(t) : (24389.0 / 27 * t + 16) / 116;
}

static double lab_finv(double f)
{
    double t = f * f * f;
    return t > 216.0 / 24389 ? t : (116 * f - 16) * 27 / 24389;
}

static void rgb_to_lab(uint32_t hex, double lab[3])
{
    double r = srgb_to_linear(((hex >> 16) & 0xff) / 255.0);
    double g = srgb_to_linear(((hex >> 8) & 0xff) / 255.0);
    double b = srgb_to_linear((hex & 0xff) / 255.0);
    double xyz[3] = {0.4124564 * r + 0.3575761 * g + 0.1804375 * b,
                     0.2126729 * r + 0.7151522 * g + 0.0721750 * b,
                     0.0193339 * r + 0.1191920 * g + 0.9503041 * b};
    double f[3];
    for (int i = 0; i < 3; i++)
        f[i] = lab_f(xyz[i] / white[i]);
    lab[0] = 116 * f[1] - 16;
    lab[1] = 500 * (f[0] - f[1]);
    lab[2] = 200 * (f[1] - f[2]);
}

static void lab_to_rgb(const double lab[3], uint8_t out[3])
{
    double fy = (lab[0] + 16) / 116, fx = fy + lab[1] / 500, fz = fy - lab[2] / 200;
    double x = white[0] * lab_finv(fx), y = white[1] * lab_finv(fy), z = white[2] * lab_finv(fz);
    double rgb[3] = {3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
                     -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
                     0.0556434 * x - 0.2040259 * y + 1.0572252 * z};
    for (int i = 0; i < 3; i++)
        out[i] = (uint8_t)lround(linear_to_srgb(rgb[i]) * 255);
}

int omsi_colormap_build(const char *name, omsi_colormap *out, omsi_error *err)
{
    const ramp *r = NULL;
    for (size_t i = 0; i < sizeof ramps / sizeof *ramps; i++)
        if (strcmp(ramps[i].name, name) == 0)
            r = &ramps[i];
    if (!r)
        return omsi_error_set(err, OMSI_ERR_USAGE, "unknown colour map '%s' (known: %s)", name,
                              omsi_colormap_names());
    if (!r->in_lab) {
        for (int k = 0; k < 256; k++)
            for (int c = 0; c < 3; c++) {
                int shift = 16 - 8 * c;
                double a = (r->anchors[0] >> shift) & 0xff, b = (r->anchors[1] >> shift) & 0xff;
                out->rgb[k][c] = (uint8_t)lround(a + (b - a) * k / 255.0);
            }
        return 0;
    }
    double lab[6][3];
    for (unsigned i = 0; i < r->n; i++)
        rgb_to_lab(r->anchors[i], lab[i]);
    for (int k = 0; k < 256; k++) {
        double pos = k / 255.0 * (r->n - 1);
        unsigned i = (unsigned)pos;
        if (i >= r->n - 1)
            i = r->n - 2;
        double t = pos - i, mix[3];
        for (int c = 0; c < 3; c++)
            mix[c] = lab[i][c] + t * (lab[i + 1][c] - lab[i][c]);
        lab_to_rgb(mix, out->rgb[k]);
    }
    return 0;
}
