#include "view/plot.h"
#include "view/view_image.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int omsi_plot_canvas_new(omsi_plot_canvas *c, uint32_t width, uint32_t height, omsi_error *err)
{
    memset(c, 0, sizeof *c);
    if (width == 0 || height == 0 || width > 32767 || height > 32767)
        return omsi_error_set(err, OMSI_ERR_USAGE, "cannot draw a %ux%u picture", width, height);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)width, (int)height);
    cairo_status_t status = cairo_surface_status(s);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "cannot make a %ux%u picture: %s", width, height,
                              cairo_status_to_string(status));
    }
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    c->surface = s;
    c->width = width;
    c->height = height;
    return 0;
}

void omsi_plot_canvas_free(omsi_plot_canvas *c)
{
    if (c->surface)
        cairo_surface_destroy(c->surface);
    memset(c, 0, sizeof *c);
}

void omsi_plot_canvas_set(omsi_plot_canvas *c, uint32_t x, uint32_t y, const uint8_t rgb[3])
{
    if (x >= c->width || y >= c->height)
        return;
    unsigned char *data = cairo_image_surface_get_data(c->surface);
    int stride = cairo_image_surface_get_stride(c->surface);
    uint32_t *px = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride) + x;
    *px = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
    cairo_surface_mark_dirty_rectangle(c->surface, (int)x, (int)y, 1, 1);
}

int omsi_plot_canvas_rgb(const omsi_plot_canvas *c, uint8_t **rgb, omsi_error *err)
{
    cairo_surface_flush(c->surface);
    uint8_t *out = malloc((size_t)c->width * c->height * 3);
    if (!out)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "no memory for a %ux%u picture", c->width, c->height);
    const unsigned char *data = cairo_image_surface_get_data(c->surface);
    int stride = cairo_image_surface_get_stride(c->surface);
    for (uint32_t y = 0; y < c->height; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        uint8_t *o = out + (size_t)y * c->width * 3;
        for (uint32_t x = 0; x < c->width; x++) {
            o[3 * x] = (uint8_t)(row[x] >> 16);
            o[3 * x + 1] = (uint8_t)(row[x] >> 8);
            o[3 * x + 2] = (uint8_t)row[x];
        }
    }
    *rgb = out;
    return 0;
}

unsigned omsi_plot_ticks(double lo, double hi, unsigned max_ticks, double *ticks)
{
    if (!(hi > lo) || max_ticks < 2 || !isfinite(lo) || !isfinite(hi)) {
        ticks[0] = lo;
        return 1;
    }
    double raw = (hi - lo) / (max_ticks - 1), magnitude = pow(10, floor(log10(raw)));
    double step = magnitude;
    for (int i = 0; i < 3 && (hi - lo) / step > max_ticks - 1; i++)
        step = magnitude * (i == 0 ? 2 : i == 1 ? 5 : 10);
    unsigned n = 0;
    for (double t = ceil(lo / step) * step; t <= hi + step * 1e-9 && n < max_ticks; t += step)
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
    return n;
}

static void label(cairo_t *cr, double x, double y, const char *text, double align_x, double align_y)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, text, &e);
    cairo_move_to(cr, x - e.x_bearing - e.width * align_x, y - e.y_bearing - e.height * align_y);
    cairo_show_text(cr, text);
}

static void format_value(char *out, size_t size, double v)
{
    if (v != 0 && (fabs(v) >= 1e6 || fabs(v) < 1e-3))
        snprintf(out, size, "%.3g", v);
    else
        snprintf(out, size, "%.10g", v);
}

void omsi_plot_colorbar(omsi_plot_canvas *c, uint32_t x0, const omsi_colormap *map, double lo,
                        double hi, const char *scale_name)
{
    cairo_surface_flush(c->surface);
    const double top = 14, bottom = c->height - 14.0, left = x0 + 12.0, bar = 16;
    cairo_t *cr = cairo_create(c->surface);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (double y = top; y < bottom; y++) {
        unsigned k = (unsigned)lround((bottom - 1 - y) / (bottom - 1 - top) * 255);
        const uint8_t *rgb = map->rgb[k > 255 ? 255 : k];
        cairo_set_source_rgb(cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
        cairo_rectangle(cr, left, y, bar, 1);
        cairo_fill(cr);
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 11);
    char text[64];
    format_value(text, sizeof text, hi);
    label(cr, left + bar + 5, top, text, 0, 0);
    format_value(text, sizeof text, lo);
    label(cr, left + bar + 5, bottom, text, 0, 1);
    if (scale_name && *scale_name)
        label(cr, left + bar + 5, (top + bottom) / 2, scale_name, 0, 0.5);
    cairo_destroy(cr);
}

int omsi_plot_spectrum(omsi_plot_canvas *c, const double *mz, const double *values, uint64_t n,
                       const char *title, omsi_error *err)
{
    if (n == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "an empty spectrum cannot be plotted");
    double xlo = mz[0], xhi = mz[n - 1], yhi = 0;
    for (uint64_t i = 0; i < n; i++)
        if (isfinite(values[i]) && values[i] > yhi)
            yhi = values[i];
    if (!(xhi > xlo)) {
        xlo -= 0.5;
        xhi += 0.5;
    }
    if (!(yhi > 0))
        yhi = 1;
    yhi *= 1.05;
    const double left = 80, right = c->width - 20.0, top = 36, bottom = c->height - 50.0;
    if (right - left < 50 || bottom - top < 50)
        return omsi_error_set(err, OMSI_ERR_USAGE, "a %ux%u picture is too small for a plot", c->width,
                              c->height);
    cairo_t *cr = cairo_create(c->surface);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    /* Axes and ticks (half-pixel offsets keep 1 px lines sharp). */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, left + 0.5, top);
    cairo_line_to(cr, left + 0.5, bottom + 0.5);
    cairo_line_to(cr, right, bottom + 0.5);
    cairo_stroke(cr);
    double ticks[16];
    char text[64];
    unsigned nt = omsi_plot_ticks(xlo, xhi, 8, ticks);
    for (unsigned i = 0; i < nt; i++) {
        double x = floor(left + (ticks[i] - xlo) / (xhi - xlo) * (right - left)) + 0.5;
        cairo_move_to(cr, x, bottom + 0.5);
        cairo_line_to(cr, x, bottom + 5.5);
        cairo_stroke(cr);
        format_value(text, sizeof text, ticks[i]);
        label(cr, x, bottom + 9, text, 0.5, 0);
    }
    nt = omsi_plot_ticks(0, yhi, 6, ticks);
    for (unsigned i = 0; i < nt; i++) {
        double y = floor(bottom - ticks[i] / yhi * (bottom - top)) + 0.5;
        cairo_move_to(cr, left - 5, y);
        cairo_line_to(cr, left + 0.5, y);
        cairo_stroke(cr);
        format_value(text, sizeof text, ticks[i]);
        label(cr, left - 8, y, text, 1, 0.5);
    }
    label(cr, (left + right) / 2, bottom + 28, "m/z", 0.5, 0);
    cairo_save(cr);
    cairo_move_to(cr, 16, (top + bottom) / 2);
    cairo_rotate(cr, -M_PI / 2);
    cairo_text_extents_t e;
    cairo_text_extents(cr, "intensity", &e);
    cairo_rel_move_to(cr, -e.width / 2, 0);
    cairo_show_text(cr, "intensity");
    cairo_restore(cr);
    if (title && *title) {
        cairo_set_font_size(cr, 13);
        label(cr, (left + right) / 2, 10, title, 0.5, 0);
    }
    /* The spectrum: one polyline, clipped to the plot area. */
    cairo_rectangle(cr, left + 1, top, right - left - 1, bottom - top + 0.5);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 0.12, 0.28, 0.62);
    for (uint64_t i = 0; i < n; i++) {
        double v = isfinite(values[i]) ? values[i] : 0;
        double x = left + (mz[i] - xlo) / (xhi - xlo) * (right - left);
        double y = bottom - v / yhi * (bottom - top);
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    cairo_stroke(cr);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status != CAIRO_STATUS_SUCCESS)
        return omsi_error_set(err, OMSI_ERR_INTERNAL, "drawing the plot failed: %s",
                              cairo_status_to_string(status));
    return 0;
}

int omsi_plot_image_with_colorbar(const double *img, uint64_t nx, uint64_t ny, const omsi_render *r,
                                  double lo, double hi, uint8_t **rgb, uint32_t *width, uint32_t *height,
                                  omsi_error *err)
{
    unsigned zoom = r->zoom ? r->zoom : 1;
    uint32_t iw = (uint32_t)(nx * zoom), ih = (uint32_t)(ny * zoom);
    uint32_t w = iw + OMSI_COLORBAR_WIDTH, h = ih < OMSI_COLORBAR_MIN_HEIGHT ? OMSI_COLORBAR_MIN_HEIGHT : ih;
    omsi_plot_canvas canvas;
    int rc = omsi_plot_canvas_new(&canvas, w, h, err);
    if (rc)
        return rc;
    for (uint32_t row = 0; row < ih; row++)
        for (uint32_t col = 0; col < iw; col++) {
            double value = img[(uint64_t)(col / zoom) * ny + row / zoom];
            omsi_plot_canvas_set(&canvas, col, row, r->colormap->rgb[omsi_scale_index(value, lo, hi, r->scale)]);
        }
    omsi_plot_colorbar(&canvas, iw, r->colormap, lo, hi,
                       r->scale == OMSI_SCALE_LINEAR ? "" : r->scale == OMSI_SCALE_SQRT ? "sqrt" : "log");
    rc = omsi_plot_canvas_rgb(&canvas, rgb, err);
    *width = w;
    *height = h;
    omsi_plot_canvas_free(&canvas);
    return rc;
}
