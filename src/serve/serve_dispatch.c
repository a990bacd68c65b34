#include "serve/serve_api.h"

void serve_dispatch(serve_ctx *ctx, const serve_route *route, const serve_args *args, serve_reply *reply)
{
    switch (route->kind) {
    case SERVE_ROUTE_PAGE: {
        char why[128];
        unsigned dataset;
        /* The page takes no parameters (its state is in the URL's #fragment). */
        unsigned st = serve_dataset_param_parse(args, false, &dataset, why, sizeof why);
        if (st)
            serve_reply_error(reply, st, "%s", why);
        else
            serve_page(reply);
        return;
    }
    case SERVE_ROUTE_DATASETS: serve_api_datasets(ctx, args, reply); return;
    case SERVE_ROUTE_DATASET: serve_api_dataset(ctx, route->id, args, reply); return;
    case SERVE_ROUTE_STATS: serve_api_stats(ctx, args, reply); return;
    case SERVE_ROUTE_THUMBNAIL: serve_api_thumbnail(ctx, route->id, args, reply); return;
    case SERVE_ROUTE_IMAGE: serve_api_image(ctx, route->id, args, reply); return;
    case SERVE_ROUTE_SPECTRUM: serve_api_spectrum(ctx, route->id, args, reply); return;
    }
    serve_reply_error(reply, 404, "no such endpoint");
}

unsigned serve_status_of(const omsi_error *err, bool lookup)
{
    if (err->status == OMSI_ERR_USAGE)
        return lookup ? 404 : 400;
    return 500;
}
