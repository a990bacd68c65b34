#include "view/thumbnail.h"
#include "view/colormap.h"
#include "view/png_write.h"
#include "view/view_image.h"

#include <math.h>
#include <stdlib.h>

int omsi_thumbnail_png(const double *img, uint64_t nx, uint64_t ny, uint32_t max_side,
                       unsigned char **png, size_t *bytes, uint32_t *width, uint32_t *height,
                       omsi_error *err)
{
    *png = NULL;
    *bytes = 0;
    if (nx == 0 || ny == 0 || max_side == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "no thumbnail of an empty image");
    uint64_t longest = nx > ny ? nx : ny;
    uint32_t w, h;
    if (longest > max_side) {
        w = (uint32_t)((nx * max_side + longest - 1) / longest);
        h = (uint32_t)((ny * max_side + longest - 1) / longest);
    } else {
        uint64_t zoom = max_side / longest;
        w = (uint32_t)(nx * zoom);
        h = (uint32_t)(ny * zoom);
    }
    w = w ? w : 1;
    h = h ? h : 1;
    double *small = calloc((size_t)w * h, sizeof *small), lo = 0, hi = 0;
    uint32_t *counts = calloc((size_t)w * h, sizeof *counts);
    uint8_t *rgb = NULL;
    int rc = 0;
    if (!small || !counts) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "no memory for a thumbnail");
        goto done;
    }
    if (longest > max_side) { /* box averages */
        for (uint64_t x = 0; x < nx; x++)
            for (uint64_t y = 0; y < ny; y++) {
                size_t cell = (size_t)(x * w / nx) * h + (size_t)(y * h / ny);
                small[cell] += img[x * ny + y];
                counts[cell]++;
            }
        for (size_t i = 0; i < (size_t)w * h; i++)
            small[i] = counts[i] ? small[i] / counts[i] : 0;
    } else {
        for (uint32_t x = 0; x < w; x++)
            for (uint32_t y = 0; y < h; y++)
                small[(size_t)x * h + y] = img[(uint64_t)x * nx / w * ny + (uint64_t)y * ny / h];
    }
    omsi_colormap map;
    if ((rc = omsi_colormap_build("viridis", &map, err)))
        goto done;
    omsi_render r = {.scale = OMSI_SCALE_SQRT, .colormap = &map, .zoom = 1};
    uint32_t rw, rh;
    if ((rc = omsi_render_image(small, w, h, &r, &rgb, &rw, &rh, &lo, &hi, err)))
        goto done;
    rc = omsi_png_encode(rw, rh, rgb, "TIC", png, bytes, err);
    *width = rw;
    *height = rh;
done:
    free(small);
    free(counts);
    free(rgb);
    return rc;
}
