/* Colour maps for ion images: perceptually uniform ramps (viridis, magma,
 * inferno, cividis) and gray, as 256-entry sRGB tables. */
#ifndef OMSI_COLORMAP_H
#define OMSI_COLORMAP_H

#include "base/omsi_error.h"

#include <stdint.h>

typedef struct omsi_colormap {
    uint8_t rgb[256][3];
} omsi_colormap;

/* Fills out with the map called name; an unknown name is OMSI_ERR_USAGE
 * with a message listing the known ones. */
int omsi_colormap_build(const char *name, omsi_colormap *out, omsi_error *err);

/* "viridis, magma, inferno, cividis, gray" (for --help and errors). */
const char *omsi_colormap_names(void);

#endif
