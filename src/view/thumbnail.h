/* The catalog's thumbnail of a dataset: its TIC image in viridis, scaled so
 * that the longest side is at most max_side pixels (box averages when the
 * grid is larger, whole-pixel enlargement when it is much smaller). */
#ifndef OMSI_THUMBNAIL_H
#define OMSI_THUMBNAIL_H

#include "base/omsi_error.h"

#include <stddef.h>
#include <stdint.h>

int omsi_thumbnail_png(const double *img, uint64_t nx, uint64_t ny, uint32_t max_side,
                       unsigned char **png, size_t *bytes, uint32_t *width, uint32_t *height,
                       omsi_error *err);

#endif
