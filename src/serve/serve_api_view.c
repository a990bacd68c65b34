/* image.png and spectrum.json: the converted file is found through the
 * catalog (omsi_catalog_locate), as `omsi-catalog image` finds it; nothing
 * of the request names a file. */
#include "serve/serve_api.h"
#include "catalog/locate.h"
#include "report/spectrum_json.h"
#include "view/plot.h"
#include "view/png_write.h"
#include "view/view_image.h"
#include "view/view_select.h"

#include <stdio.h>
#include <stdlib.h>

/* Larger images are refused (400): a request must not make the server
 * allocate without bound. */
enum { SERVE_MAX_IMAGE_PIXELS = 16u << 20 };

typedef struct serve_target {
    omsi_dataset_location loc;
    omsi_view view;
    bool located, opened;
} serve_target;

/* Locates source id's dataset and opens it (inside the HDF5 lock). */
static int target_open(serve_ctx *ctx, int64_t id, unsigned dataset, serve_target *t, unsigned *status,
                       omsi_error *err)
{
    *t = (serve_target){.view = {.file = -1, .group = -1}};
    omsi_catalog *cat = NULL;
    int rc = serve_pool_take(ctx->pool, &cat, err);
    if (rc) {
        *status = 500;
        return rc;
    }
    rc = omsi_catalog_locate(cat, id, dataset, &t->loc, err);
    serve_pool_give(ctx->pool, cat);
    if (rc) {
        *status = serve_status_of(err, true);
        return rc;
    }
    t->located = true;
    if ((rc = omsi_view_open(t->loc.output_path, t->loc.hdf5_path, &t->view, err))) {
        *status = 500;
        return rc;
    }
    t->opened = true;
    return 0;
}

static void target_close(serve_target *t)
{
    if (t->opened)
        omsi_view_close(&t->view);
    if (t->located)
        omsi_dataset_location_free(&t->loc);
}

static void fail(serve_ctx *ctx, serve_reply *reply, unsigned status, const omsi_error *err, int64_t id)
{
    if (status == 500) {
        omsi_log(ctx->log, OMSI_LOG_ERR, "%s", err->message);
        serve_reply_error(reply, 500, "the converted data of source %lld could not be read (the server log says why)",
                          (long long)id);
    } else {
        serve_reply_error(reply, status, "%s", err->message);
    }
}

/* Everything between opening and closing the file: under the HDF5 lock. */
static int render_image(const serve_target *t, const serve_image_params *p, unsigned char **png, size_t *bytes,
                        unsigned *status, omsi_error *err)
{
    const omsi_view *v = &t->view;
    uint64_t nx = v->shape[0], ny = v->shape[1], z0 = 0, z1 = 0;
    char label[64], what[128], source[256], title[256];
    snprintf(label, sizeof label, "source %lld dataset %u", (long long)t->loc.source_id, t->loc.dataset_index);
    *status = 400;
    if (nx > SERVE_MAX_IMAGE_PIXELS || ny > SERVE_MAX_IMAGE_PIXELS ||
        nx * ny > SERVE_MAX_IMAGE_PIXELS / (p->zoom * p->zoom))
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: a %llux%llu image at zoom %u is too large", label,
                              (unsigned long long)nx, (unsigned long long)ny, p->zoom);
    int rc = omsi_view_ion_bins(v, label, p->tic, p->mz, p->half_width, &z0, &z1, what, sizeof what, err);
    if (rc)
        return rc;
    *status = 500;
    omsi_colormap map;
    omsi_render render = {.scale = p->scale, .colormap = &map, .zoom = p->zoom};
    double *img = malloc((nx * ny > 0 ? nx * ny : 1) * sizeof *img), lo = 0, hi = 0;
    uint8_t *rgb = NULL;
    uint32_t w = 0, h = 0;
    if (!img)
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "no memory for a %llu x %llu image", (unsigned long long)nx,
                            (unsigned long long)ny);
    if (!rc)
        rc = omsi_colormap_build(p->colormap, &map, err);
    if (!rc)
        rc = omsi_view_ion_image(v, p->tic, z0, z1, img, source, sizeof source, err);
    if (!rc && p->colorbar) {
        omsi_image_range(img, nx * ny, &lo, &hi);
        rc = omsi_plot_image_with_colorbar(img, nx, ny, &render, lo, hi, &rgb, &w, &h, err);
    } else if (!rc) {
        rc = omsi_render_image(img, nx, ny, &render, &rgb, &w, &h, &lo, &hi, err);
    }
    snprintf(title, sizeof title, "%s, %s", what, label);
    if (!rc)
        rc = omsi_png_encode(w, h, rgb, title, png, bytes, err);
    free(img);
    free(rgb);
    return rc;
}

void serve_api_image(serve_ctx *ctx, int64_t id, const serve_args *args, serve_reply *reply)
{
    serve_image_params p;
    char why[256];
    unsigned st = serve_image_params_parse(args, &p, why, sizeof why);
    if (st) {
        serve_reply_error(reply, st, "%s", why);
        return;
    }
    omsi_error err = {0};
    serve_target t;
    unsigned char *png = NULL;
    size_t bytes = 0;
    serve_pool_hdf5_enter(ctx->pool);
    int rc = target_open(ctx, id, p.dataset, &t, &st, &err);
    if (!rc)
        rc = render_image(&t, &p, &png, &bytes, &st, &err);
    target_close(&t);
    serve_pool_hdf5_leave(ctx->pool);
    if (rc)
        fail(ctx, reply, st, &err, id);
    else
        serve_reply_png(reply, png, bytes);
}

void serve_api_spectrum(serve_ctx *ctx, int64_t id, const serve_args *args, serve_reply *reply)
{
    serve_spectrum_params p;
    char why[256];
    unsigned st = serve_spectrum_params_parse(args, &p, why, sizeof why);
    if (st) {
        serve_reply_error(reply, st, "%s", why);
        return;
    }
    omsi_error err = {0};
    serve_target t;
    double *values = NULL;
    json_object *doc = NULL;
    serve_pool_hdf5_enter(ctx->pool);
    int rc = target_open(ctx, id, p.dataset, &t, &st, &err);
    if (!rc) {
        uint64_t nz = t.view.shape[2];
        char source[256];
        st = 500;
        if (!(values = malloc((nz > 0 ? nz : 1) * sizeof *values)))
            rc = omsi_error_set(&err, OMSI_ERR_NOMEM, "no memory for a %llu-bin spectrum", (unsigned long long)nz);
        if (!rc && (rc = omsi_view_spectrum_of(&t.view, p.kind, p.x, p.y, values, source, sizeof source, &err)))
            st = serve_status_of(&err, false); /* a pixel outside the grid: 400 */
        if (!rc) {
            omsi_spectrum_doc s = {.source_id = t.loc.source_id, .dataset = t.loc.dataset_index,
                                   .hdf5_path = t.loc.hdf5_path, .kind = p.kind, .x = p.x, .y = p.y,
                                   .mz = t.view.mz, .intensity = values, .n = nz};
            doc = omsi_spectrum_json_doc(&s);
        }
    }
    target_close(&t);
    serve_pool_hdf5_leave(ctx->pool);
    free(values);
    if (rc)
        fail(ctx, reply, st, &err, id);
    else
        serve_reply_json(reply, 200, doc);
}
