/* The endpoints of /api, one function each, with no HTTP library in sight:
 * they turn a route's ID and parameters into a serve_reply. The server
 * (serve_server.c) checks the method, token and rate first. */
#ifndef OMSI_SERVE_API_H
#define OMSI_SERVE_API_H

#include "base/omsi_log.h"
#include "serve/serve_params.h"
#include "serve/serve_pool.h"
#include "serve/serve_reply.h"
#include "serve/serve_routes.h"

typedef struct serve_ctx {
    serve_pool *pool;
    const omsi_logger *log;
} serve_ctx;

/* Answers one GET of a parsed route (serve_routes.c). */
void serve_dispatch(serve_ctx *ctx, const serve_route *route, const serve_args *args, serve_reply *reply);

/* serve_api_catalog.c: from the catalog alone */
void serve_api_datasets(serve_ctx *ctx, const serve_args *args, serve_reply *reply);
void serve_api_dataset(serve_ctx *ctx, int64_t id, const serve_args *args, serve_reply *reply);
void serve_api_stats(serve_ctx *ctx, const serve_args *args, serve_reply *reply);
void serve_api_thumbnail(serve_ctx *ctx, int64_t id, const serve_args *args, serve_reply *reply);

/* serve_api_view.c: from the converted HDF5 file the catalog names */
void serve_api_image(serve_ctx *ctx, int64_t id, const serve_args *args, serve_reply *reply);
void serve_api_spectrum(serve_ctx *ctx, int64_t id, const serve_args *args, serve_reply *reply);

/* serve_page.c: the page, from memory */
void serve_page(serve_reply *reply);

/* The HTTP status of a failed catalog or view call: 404 for what does not
 * exist (usage errors of lookups), 400 for other usage errors, else 500. */
unsigned serve_status_of(const omsi_error *err, bool lookup);

#endif
