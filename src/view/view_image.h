/* Ion images: the sum of a dataset's intensities over a range of m/z bins at
 * every pixel, and their rendering through a colour map. */
#ifndef OMSI_VIEW_IMAGE_H
#define OMSI_VIEW_IMAGE_H

#include "view/colormap.h"
#include "view/omsi_view.h"

#include <stddef.h>

/* img (X * Y doubles, index x * Y + y) = sum over bins [z0, z1) at each pixel.
 * Reads z blocks of at most max_block_bytes (as doubles) from the copy that
 * suits them (data_1, the image-chunked copy, where there is one); *copy_used
 * names it. */
int omsi_view_image(const omsi_view *v, uint64_t z0, uint64_t z1, size_t max_block_bytes, double *img,
                    const char **copy_used, omsi_error *err);

typedef enum omsi_scale { OMSI_SCALE_LINEAR, OMSI_SCALE_SQRT, OMSI_SCALE_LOG } omsi_scale;

/* "linear", "sqrt", "log"; OMSI_ERR_USAGE naming them otherwise. */
int omsi_scale_parse(const char *name, omsi_scale *out, omsi_error *err);

/* The colour index (0..255) of value v between lo and hi on a scale. */
unsigned omsi_scale_index(double v, double lo, double hi, omsi_scale scale);

typedef struct omsi_render {
    omsi_scale scale;
    const omsi_colormap *colormap;
    unsigned zoom;     /* each data pixel becomes zoom x zoom image pixels (>= 1) */
} omsi_render;

/* The value range an image's colours span: 0 (or the lowest value when it is
 * negative) to the highest finite value. */
void omsi_image_range(const double *img, uint64_t n, double *lo, double *hi);

/* Renders img (nx * ny, index x * ny + y) with x to the right and y down: a
 * malloc'ed RGB buffer in *rgb of exactly (nx * zoom) x (ny * zoom) pixels
 * (*width x *height). lo/hi get the value range the colours span. No drawing
 * library is involved (the colour bar is omsi_plot_image_with_colorbar). */
int omsi_render_image(const double *img, uint64_t nx, uint64_t ny, const omsi_render *r,
                      uint8_t **rgb, uint32_t *width, uint32_t *height, double *lo, double *hi,
                      omsi_error *err);

#endif
