/* The URL space of `omsi-catalog serve`: which paths exist, what an ID is,
 * and how a path is refused before anything looks at it. Pure: no HTTP
 * library, no catalog (tests/check_serve.c). */
#ifndef OMSI_SERVE_ROUTES_H
#define OMSI_SERVE_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longer paths are refused with 414 (the whole request line is bounded by
 * the connection memory limit of serve_server.c as well). */
enum { SERVE_MAX_PATH = 1024 };

typedef enum serve_route_kind {
    SERVE_ROUTE_PAGE,      /* "/", "/index.html": the page */
    SERVE_ROUTE_DATASETS,  /* /api/datasets?filters */
    SERVE_ROUTE_DATASET,   /* /api/datasets/ID */
    SERVE_ROUTE_IMAGE,     /* /api/datasets/ID/image.png */
    SERVE_ROUTE_SPECTRUM,  /* /api/datasets/ID/spectrum.json */
    SERVE_ROUTE_THUMBNAIL, /* /api/datasets/ID/thumbnail.png */
    SERVE_ROUTE_STATS      /* /api/stats */
} serve_route_kind;

typedef struct serve_route {
    serve_route_kind kind;
    int64_t id;            /* the source ID of /api/datasets/ID... */
} serve_route;

/* 0 and *out, or the HTTP status that refuses path (400: a control or
 * non-ASCII byte, '%' (an encoded NUL is left encoded), '\', an empty, "."
 * or ".." segment; 400 an ID that is not a positive integer; 404 no such
 * route; 414 too long) with a reason in why. */
unsigned serve_route_parse(const char *path, serve_route *out, char *why, size_t why_size);

/* A source ID: 1 to INT64_MAX in decimal digits, no sign, no leading zero. */
bool serve_parse_id(const char *text, size_t len, int64_t *out);

/* Decodes %XX in place (libmicrohttpd turns '+' in query values into ' ' first) and returns the new
 * length. "%00" and malformed escapes stay as they are, so a NUL never cuts a
 * path or value short and serve_route_parse refuses it. */
size_t serve_unescape(char *s);

#endif
