/* Request parameters of the API: the query string as (name, value) pairs,
 * turned into the CLI's own option parsers' input so that every filter of
 * `omsi-catalog query` means the same in /api/datasets. Pure. */
#ifndef OMSI_SERVE_PARAMS_H
#define OMSI_SERVE_PARAMS_H

#include "catalog/query.h"
#include "view/view_image.h"
#include "view/view_select.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SERVE_MAX_ARGS = 32, SERVE_MAX_LIMIT = 1000, SERVE_MAX_ZOOM = 16 };

typedef struct serve_arg {
    const char *name, *value; /* value "" for "?flag" */
} serve_arg;

typedef struct serve_args {
    serve_arg a[SERVE_MAX_ARGS];
    size_t n;
    bool overflow;            /* more than SERVE_MAX_ARGS were given: refused */
} serve_args;

void serve_args_add(serve_args *args, const char *name, const char *value);
/* The first value of name, or NULL. */
const char *serve_args_get(const serve_args *args, const char *name);

/* The argv omsi_query_parse gets: "query", then "--NAME" (name with '_' as
 * '-') and the value of each parameter. */
typedef struct serve_query_argv {
    char *argv[2 * SERVE_MAX_ARGS + 2];
    char flags[SERVE_MAX_ARGS][24];
    int argc;
} serve_query_argv;

/* /api/datasets: the filters (format, instrument, since, until, mz, ppm,
 * peak, min_intensity, min_coverage, min_pixels, min_spectra, meta, text,
 * state, sort, limit, offset, all_versions, count) into *q (strings point
 * into args and buf). limit is 1..SERVE_MAX_LIMIT (default 100). 0, or 400
 * with the reason in why. */
unsigned serve_query_params(const serve_args *args, serve_query_argv *buf, omsi_query *q, char *why,
                            size_t why_size);

typedef struct serve_image_params {
    unsigned dataset;
    bool tic, colorbar;
    double mz, half_width;    /* half_width 0: the nearest bin */
    omsi_scale scale;
    const char *colormap;
    unsigned zoom;
} serve_image_params;

/* image.png: mz (or tic), ppm or width, dataset, scale, colormap, zoom,
 * colorbar. 0 or 400 with why. */
unsigned serve_image_params_parse(const serve_args *args, serve_image_params *p, char *why, size_t why_size);

typedef struct serve_spectrum_params {
    unsigned dataset;
    omsi_spectrum_kind kind;
    uint64_t x, y;
} serve_spectrum_params;

/* spectrum.json: x and y, or mean, or max; dataset. 0 or 400 with why. */
unsigned serve_spectrum_params_parse(const serve_args *args, serve_spectrum_params *p, char *why,
                                     size_t why_size);

/* thumbnail.png and /api/datasets/ID: dataset only (ID: none at all). */
unsigned serve_dataset_param_parse(const serve_args *args, bool allowed, unsigned *dataset, char *why,
                                   size_t why_size);

#endif
