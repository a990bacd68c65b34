#include "serve/serve_params.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void serve_args_add(serve_args *args, const char *name, const char *value)
{
    if (args->n == SERVE_MAX_ARGS) {
        args->overflow = true;
        return;
    }
    args->a[args->n++] = (serve_arg){name, value ? value : ""};
}

const char *serve_args_get(const serve_args *args, const char *name)
{
    for (size_t i = 0; i < args->n; i++)
        if (strcmp(args->a[i].name, name) == 0)
            return args->a[i].value;
    return NULL;
}

/* why gets the reason (names and values from the request are cut by its
 * size); returns 400. */
static unsigned refuse(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static unsigned refuse(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return 400;
}

static bool in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return true;
    return false;
}

/* Parameters that are flags: present (no value, "1", "true") or not ("0", "false"). */
static int flag_value(const char *value)
{
    if (!*value || strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0)
        return 1;
    if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 || strcmp(value, "no") == 0)
        return 0;
    return -1;
}

static unsigned check_args(const serve_args *args, const char *const *allowed, char *why, size_t size)
{
    if (args->overflow)
        return refuse(why, size, "more than 32 parameters%s%s", "", "");
    for (size_t i = 0; i < args->n; i++)
        if (!in_list(args->a[i].name, allowed))
            return refuse(why, size, "unknown parameter '%s'%s", args->a[i].name, "");
    return 0;
}

unsigned serve_query_params(const serve_args *args, serve_query_argv *buf, omsi_query *q, char *why,
                            size_t why_size)
{
    static const char *const valued[] = {"format", "instrument", "since", "until", "mz", "ppm", "peak",
                                         "min_intensity", "min_coverage", "min_pixels", "min_spectra",
                                         "meta", "text", "state", "sort", "limit", "offset", NULL};
    static const char *const flags[] = {"all_versions", "count", NULL};
    memset(buf, 0, sizeof *buf);
    if (args->overflow)
        return refuse(why, why_size, "more than 32 parameters%s%s", "", "");
    buf->argv[buf->argc++] = (char *)"query";
    for (size_t i = 0; i < args->n; i++) {
        const serve_arg *a = &args->a[i];
        bool is_flag = in_list(a->name, flags);
        if (!is_flag && !in_list(a->name, valued))
            return refuse(why, why_size,
                          "unknown parameter '%s'%s (filters: format, instrument, since, until, mz, ppm, peak, "
                          "min_intensity, min_coverage, min_pixels, min_spectra, meta, text, state, sort, limit, "
                          "offset, all_versions, count)", a->name, "");
        char *f = buf->flags[i];
        snprintf(f, sizeof buf->flags[i], "--%s", a->name);
        for (char *p = f; *p; p++)
            if (*p == '_')
                *p = '-';
        if (is_flag) {
            int v = flag_value(a->value);
            if (v < 0)
                return refuse(why, why_size, "%s is a flag (1 or 0), not '%s'", a->name, a->value);
            if (v)
                buf->argv[buf->argc++] = f;
        } else {
            if (!*a->value)
                return refuse(why, why_size, "%s needs a value%s", a->name, "");
            buf->argv[buf->argc++] = f;
            buf->argv[buf->argc++] = (char *)a->value;
        }
    }
    bool help = false;
    omsi_error err = {0};
    if (omsi_query_parse(buf->argc, buf->argv, q, &help, &err)) {
        /* The parser names options as the CLI spells them ("--min-pixels"). */
        snprintf(why, why_size, "%s", err.message);
        return 400;
    }
    if (q->limit == 0 || q->limit > SERVE_MAX_LIMIT) {
        snprintf(why, why_size, "limit is 1 to %d rows a page (use offset for the next page)", SERVE_MAX_LIMIT);
        return 400;
    }
    q->output = OMSI_OUT_JSON;
    return 0;
}

static bool parse_double(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_uint(const char *text, uint64_t max, uint64_t *out)
{
    if (!*text || strlen(text) > 19)
        return false;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* The dataset number a source's datasets are addressed by (as --dataset). */
static unsigned dataset_value(const serve_args *args, unsigned *dataset, char *why, size_t size)
{
    const char *v = serve_args_get(args, "dataset");
    uint64_t d = 0;
    if (v && !parse_uint(v, 1u << 20, &d))
        return refuse(why, size, "%s needs a dataset number (0, 1, ...), not '%s'", "dataset", v);
    *dataset = (unsigned)d;
    return 0;
}

unsigned serve_dataset_param_parse(const serve_args *args, bool allowed, unsigned *dataset, char *why,
                                   size_t why_size)
{
    static const char *const names[] = {"dataset", NULL};
    static const char *const none[] = {NULL};
    unsigned st = check_args(args, allowed ? names : none, why, why_size);
    if (!st)
        st = dataset_value(args, dataset, why, why_size);
    return st;
}

unsigned serve_image_params_parse(const serve_args *args, serve_image_params *p, char *why, size_t why_size)
{
    static const char *const names[] = {"mz", "ppm", "width", "tic", "dataset", "scale", "colormap",
                                        "zoom", "colorbar", NULL};
    *p = (serve_image_params){.colormap = "viridis", .zoom = 1, .scale = OMSI_SCALE_LINEAR};
    unsigned st = check_args(args, names, why, why_size);
    if (st || (st = dataset_value(args, &p->dataset, why, why_size)))
        return st;
    const char *mz = serve_args_get(args, "mz"), *ppm = serve_args_get(args, "ppm"),
               *width = serve_args_get(args, "width"), *tic = serve_args_get(args, "tic"),
               *scale = serve_args_get(args, "scale"), *map = serve_args_get(args, "colormap"),
               *zoom = serve_args_get(args, "zoom"), *bar = serve_args_get(args, "colorbar");
    int t = tic ? flag_value(tic) : 0, b = bar ? flag_value(bar) : 0;
    if (t < 0 || b < 0)
        return refuse(why, why_size, "%s is a flag (1 or 0), not '%s'", t < 0 ? "tic" : "colorbar",
                      t < 0 ? tic : bar);
    p->tic = t == 1;
    p->colorbar = b == 1;
    if (p->tic == (mz != NULL))
        return refuse(why, why_size, "give either mz=MZ or tic=1%s%s", "", "");
    if (mz && (!parse_double(mz, &p->mz) || p->mz <= 0))
        return refuse(why, why_size, "%s needs a positive number, not '%s'", "mz", mz);
    if (ppm && width)
        return refuse(why, why_size, "ppm and width both set the window: give one%s%s", "", "");
    if ((ppm || width) && !mz)
        return refuse(why, why_size, "ppm and width need mz%s%s", "", "");
    double w = 0;
    if ((ppm || width) && (!parse_double(ppm ? ppm : width, &w) || w <= 0))
        return refuse(why, why_size, "%s needs a positive number, not '%s'", ppm ? "ppm" : "width",
                      ppm ? ppm : width);
    p->half_width = ppm ? p->mz * w * 1e-6 : width ? w / 2 : 0;
    omsi_error err = {0};
    if (scale && omsi_scale_parse(scale, &p->scale, &err))
        return refuse(why, why_size, "%s: '%s' is not linear, sqrt or log", "scale", scale);
    if (map) {
        omsi_colormap cm;
        if (omsi_colormap_build(map, &cm, &err))
            return refuse(why, why_size, "%s: unknown colour map '%s'", "colormap", map);
        p->colormap = map;
    }
    uint64_t z = 1;
    if (zoom && !(parse_uint(zoom, SERVE_MAX_ZOOM, &z) && z >= 1))
        return refuse(why, why_size, "%s needs a whole number from 1 to 16, not '%s'", "zoom", zoom);
    p->zoom = (unsigned)z;
    return 0;
}

unsigned serve_spectrum_params_parse(const serve_args *args, serve_spectrum_params *p, char *why,
                                     size_t why_size)
{
    static const char *const names[] = {"x", "y", "mean", "max", "dataset", NULL};
    *p = (serve_spectrum_params){.kind = OMSI_SPECTRUM_PIXEL};
    unsigned st = check_args(args, names, why, why_size);
    if (st || (st = dataset_value(args, &p->dataset, why, why_size)))
        return st;
    const char *x = serve_args_get(args, "x"), *y = serve_args_get(args, "y"),
               *mean = serve_args_get(args, "mean"), *max = serve_args_get(args, "max");
    int m = mean ? flag_value(mean) : 0, M = max ? flag_value(max) : 0;
    if (m < 0 || M < 0)
        return refuse(why, why_size, "%s is a flag (1 or 0), not '%s'", m < 0 ? "mean" : "max",
                      m < 0 ? mean : max);
    int kinds = (x || y) + m + M;
    if (kinds != 1)
        return refuse(why, why_size, "give x=X&y=Y, mean=1 or max=1%s%s", "", "");
    if (m)
        p->kind = OMSI_SPECTRUM_MEAN;
    else if (M)
        p->kind = OMSI_SPECTRUM_MAX;
    else if (!x || !y)
        return refuse(why, why_size, "a pixel needs both x and y%s%s", "", "");
    else if (!parse_uint(x, UINT32_MAX, &p->x))
        return refuse(why, why_size, "%s needs a pixel column (0, 1, ...), not '%s'", "x", x);
    else if (!parse_uint(y, UINT32_MAX, &p->y))
        return refuse(why, why_size, "%s needs a pixel row (0, 1, ...), not '%s'", "y", y);
    return 0;
}
