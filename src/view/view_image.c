#include "view/view_image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int omsi_view_image(const omsi_view *v, uint64_t z0, uint64_t z1, size_t max_block_bytes, double *img,
                    const char **copy_used, omsi_error *err)
{
    uint64_t nx = v->shape[0], ny = v->shape[1], pixels = nx * ny;
    if (z0 >= z1 || z1 > v->shape[2])
        return omsi_error_set(err, OMSI_ERR_INTERNAL, "%s: bad bin range", v->file_path);
    memset(img, 0, pixels * sizeof *img);
    if (pixels == 0)
        return 0;
    /* Whole chunks of the copy a plane-shaped read picks, as many as fit. */
    uint64_t start[3] = {0, 0, z0}, one[3] = {nx, ny, 1};
    const omsi_view_copy *c = &v->copies[omsi_view_pick_copy(v, start, one)];
    uint64_t per_bin = pixels * sizeof(double);
    uint64_t bins = max_block_bytes / per_bin;
    if (bins >= c->chunk[2])
        bins -= bins % c->chunk[2];
    if (bins == 0)
        bins = 1;
    double *block = malloc((size_t)(bins < z1 - z0 ? bins : z1 - z0) * per_bin);
    if (!block)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: no memory for an image block", v->file_path);
    int rc = 0;
    for (uint64_t z = z0; z < z1 && !rc;) {
        /* Blocks end on chunk boundaries so no chunk is decompressed twice. */
        uint64_t end = bins >= c->chunk[2] ? (z / c->chunk[2] + bins / c->chunk[2]) * c->chunk[2]
                                           : z + bins;
        if (end > z1)
            end = z1;
        uint64_t n = end - z;
        uint64_t s[3] = {0, 0, z}, cnt[3] = {nx, ny, n};
        if ((rc = omsi_view_read(v, s, cnt, block, copy_used, err)))
            break;
        for (uint64_t p = 0; p < pixels; p++) {
            const double *row = block + p * n;
            double sum = 0;
            for (uint64_t k = 0; k < n; k++)
                sum += row[k];
            img[p] += sum;
        }
        z = end;
    }
    free(block);
    return rc;
}

int omsi_scale_parse(const char *name, omsi_scale *out, omsi_error *err)
{
    if (strcmp(name, "linear") == 0)
        *out = OMSI_SCALE_LINEAR;
    else if (strcmp(name, "sqrt") == 0)
        *out = OMSI_SCALE_SQRT;
    else if (strcmp(name, "log") == 0)
        *out = OMSI_SCALE_LOG;
    else
        return omsi_error_set(err, OMSI_ERR_USAGE, "unknown scale '%s' (known: linear, sqrt, log)", name);
    return 0;
}

static double apply(double v, omsi_scale scale)
{
    switch (scale) {
    case OMSI_SCALE_SQRT: return sqrt(v);
    case OMSI_SCALE_LOG: return log1p(v);
    case OMSI_SCALE_LINEAR: break;
    }
    return v;
}

unsigned omsi_scale_index(double v, double lo, double hi, omsi_scale scale)
{
    if (!(hi > lo) || !isfinite(v))
        return 0;
    double t = (apply(v - lo, scale)) / apply(hi - lo, scale);
    if (!(t > 0))
        return 0;
    if (t >= 1)
        return 255;
    return (unsigned)lround(t * 255);
}

void omsi_image_range(const double *img, uint64_t n, double *lo, double *hi)
{
    double min = INFINITY, max = -INFINITY;
    for (uint64_t p = 0; p < n; p++)
        if (isfinite(img[p])) {
            min = img[p] < min ? img[p] : min;
            max = img[p] > max ? img[p] : max;
        }
    if (!(min <= max))
        min = max = 0;
    /* Intensities start at zero: an image of counts 90..100 shows 0..100. */
    if (min > 0)
        min = 0;
    *lo = min;
    *hi = max;
}

int omsi_render_image(const double *img, uint64_t nx, uint64_t ny, const omsi_render *r,
                      uint8_t **rgb, uint32_t *width, uint32_t *height, double *lo, double *hi,
                      omsi_error *err)
{
    unsigned zoom = r->zoom ? r->zoom : 1;
    if (nx == 0 || ny == 0 || nx * zoom > 16384 || ny * zoom > 16384)
        return omsi_error_set(err, OMSI_ERR_USAGE, "an image of %llu x %llu pixels at zoom %u is too large",
                              (unsigned long long)nx, (unsigned long long)ny, zoom);
    double min, max;
    omsi_image_range(img, nx * ny, &min, &max);
    *lo = min;
    *hi = max;
    uint32_t iw = (uint32_t)(nx * zoom), ih = (uint32_t)(ny * zoom);
    uint8_t *out = malloc((size_t)iw * ih * 3);
    if (!out)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "no memory for a %ux%u picture", iw, ih);
    for (uint32_t row = 0; row < ih; row++)
        for (uint32_t col = 0; col < iw; col++) {
            double value = img[(uint64_t)(col / zoom) * ny + row / zoom];
            const uint8_t *c = r->colormap->rgb[omsi_scale_index(value, min, max, r->scale)];
            memcpy(out + ((size_t)row * iw + col) * 3, c, 3);
        }
    *rgb = out;
    *width = iw;
    *height = ih;
    return 0;
}
