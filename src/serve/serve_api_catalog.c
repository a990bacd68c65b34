/* /api/datasets, /api/datasets/ID, /api/stats, thumbnail.png: the same
 * documents as `omsi-catalog query --json`, `show --json`, `stats --json`
 * (src/report builds them for both). */
#include "serve/serve_api.h"
#include "catalog/locate.h"
#include "catalog/thumbnail.h"
#include "report/catalog_json.h"
#include "report/query_json.h"

#include <stdlib.h>

/* 500s keep the details (file names on the server) in the log. */
static void fail(serve_ctx *ctx, serve_reply *reply, const omsi_error *err, bool lookup)
{
    unsigned status = serve_status_of(err, lookup);
    if (status == 500) {
        omsi_log(ctx->log, OMSI_LOG_ERR, "%s", err->message);
        serve_reply_error(reply, 500, "the catalog could not answer (the server log says why)");
    } else {
        serve_reply_error(reply, status, "%s", err->message);
    }
}

/* Which document a request asks for (one of the builders of src/report). */
typedef struct doc_request {
    enum { DOC_QUERY, DOC_SHOW, DOC_STATS } kind;
    const omsi_query *query; /* DOC_QUERY: rows, or the count with q.count */
    int64_t source_id;       /* DOC_SHOW */
} doc_request;

static int build_doc(omsi_catalog *cat, const doc_request *r, json_object **doc, omsi_error *err)
{
    if (r->kind == DOC_QUERY)
        return r->query->count ? omsi_query_count_json_doc(cat, r->query, doc, err)
                               : omsi_query_json_doc(cat, r->query, doc, err);
    if (r->kind == DOC_SHOW)
        return omsi_show_json_doc(cat, r->source_id, doc, err);
    return omsi_stats_json_doc(cat, doc, err);
}

/* Takes a connection, builds the document, gives the connection back and
 * replies; lookup: a missing source is a 404. */
static void reply_doc(serve_ctx *ctx, const doc_request *r, bool lookup, serve_reply *reply)
{
    omsi_error err = {0};
    json_object *doc = NULL;
    omsi_catalog *cat = NULL;
    int rc = serve_pool_take(ctx->pool, &cat, &err);
    if (rc) {
        fail(ctx, reply, &err, false);
        return;
    }
    rc = build_doc(cat, r, &doc, &err);
    serve_pool_give(ctx->pool, cat);
    if (rc)
        fail(ctx, reply, &err, lookup);
    else
        serve_reply_json(reply, 200, doc);
}

/* /api/datasets/ID and /api/stats take no parameters but the checked
 * dataset= (so a typo is a 400, not silently ignored). */
static bool params_ok(const serve_args *args, serve_reply *reply)
{
    char why[256];
    unsigned dataset;
    unsigned st = serve_dataset_param_parse(args, false, &dataset, why, sizeof why);
    if (st)
        serve_reply_error(reply, st, "%s", why);
    return st == 0;
}

void serve_api_dataset(serve_ctx *ctx, int64_t id, const serve_args *args, serve_reply *reply)
{
    if (params_ok(args, reply))
        reply_doc(ctx, &(doc_request){.kind = DOC_SHOW, .source_id = id}, true, reply);
}

void serve_api_stats(serve_ctx *ctx, const serve_args *args, serve_reply *reply)
{
    if (params_ok(args, reply))
        reply_doc(ctx, &(doc_request){.kind = DOC_STATS}, false, reply);
}

void serve_api_datasets(serve_ctx *ctx, const serve_args *args, serve_reply *reply)
{
    serve_query_argv buf;
    omsi_query q;
    char why[512];
    unsigned st = serve_query_params(args, &buf, &q, why, sizeof why);
    if (st) {
        serve_reply_error(reply, st, "%s", why);
        return;
    }
    reply_doc(ctx, &(doc_request){.kind = DOC_QUERY, .query = &q}, false, reply);
}

void serve_api_thumbnail(serve_ctx *ctx, int64_t id, const serve_args *args, serve_reply *reply)
{
    char why[256];
    unsigned dataset;
    unsigned st = serve_dataset_param_parse(args, true, &dataset, why, sizeof why);
    if (st) {
        serve_reply_error(reply, st, "%s", why);
        return;
    }
    omsi_error err = {0};
    omsi_dataset_location loc;
    unsigned char *png = NULL;
    size_t bytes = 0;
    omsi_catalog *cat = NULL;
    int rc = serve_pool_take(ctx->pool, &cat, &err);
    if (rc) {
        fail(ctx, reply, &err, false);
        return;
    }
    rc = omsi_catalog_locate(cat, id, dataset, &loc, &err);
    if (!rc) {
        rc = omsi_catalog_thumbnail(cat, loc.dataset_id, &png, &bytes, &err);
        omsi_dataset_location_free(&loc);
    }
    serve_pool_give(ctx->pool, cat);
    if (rc)
        fail(ctx, reply, &err, true);
    else
        serve_reply_png(reply, png, bytes);
}
