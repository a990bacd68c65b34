/* Drawing with cairo: a canvas whose pixels the caller may also set exactly,
 * a colour bar with its value labels, and line plots of spectra with
 * labelled axes and tick values. Cairo draws the lines and text (antialiased,
 * with the system's sans font); the pixels end up as RGB rows for libpng. */
#ifndef OMSI_PLOT_H
#define OMSI_PLOT_H

#include "base/omsi_error.h"
#include "view/colormap.h"

#include <stdint.h>

enum { OMSI_COLORBAR_WIDTH = 110, OMSI_COLORBAR_MIN_HEIGHT = 160 };

typedef struct omsi_plot_canvas {
    void *surface; /* cairo_surface_t (RGB24) */
    uint32_t width, height;
} omsi_plot_canvas;

/* A white canvas. */
int omsi_plot_canvas_new(omsi_plot_canvas *c, uint32_t width, uint32_t height, omsi_error *err);
void omsi_plot_canvas_free(omsi_plot_canvas *c);
/* Sets one pixel exactly (no blending). */
void omsi_plot_canvas_set(omsi_plot_canvas *c, uint32_t x, uint32_t y, const uint8_t rgb[3]);
/* Copies the canvas into a malloc'ed buffer of height rows of width * 3 bytes. */
int omsi_plot_canvas_rgb(const omsi_plot_canvas *c, uint8_t **rgb, omsi_error *err);

/* A vertical bar of the map in the strip right of column x0, labelled with
 * lo (bottom) and hi (top) and the scale's name when not empty. */
void omsi_plot_colorbar(omsi_plot_canvas *c, uint32_t x0, const omsi_colormap *map, double lo,
                        double hi, const char *scale_name);

/* A spectrum as a line plot (x: m/z, y: intensity from 0) with axes, tick
 * values and labels, and a title at the top. */
int omsi_plot_spectrum(omsi_plot_canvas *c, const double *mz, const double *values, uint64_t n,
                       const char *title, omsi_error *err);

/* An ion image (see omsi_render_image) with the colour bar drawn to its
 * right; lo/hi are the value range the colours span. */
struct omsi_render;
int omsi_plot_image_with_colorbar(const double *img, uint64_t nx, uint64_t ny, const struct omsi_render *r,
                                  double lo, double hi, uint8_t **rgb, uint32_t *width, uint32_t *height,
                                  omsi_error *err);

/* "Nice" tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart);
 * at most max_ticks values in ticks; returns how many. */
unsigned omsi_plot_ticks(double lo, double hi, unsigned max_ticks, double *ticks);

#endif
