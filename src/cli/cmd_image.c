/* omsi-catalog image: an ion image (or the TIC image) of a cataloged dataset
 * as a PNG or as CSV pixel values. */
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "cli/view_target.h"
#include "view/plot.h"
#include "view/png_write.h"
#include "view/view_image.h"
#include "view/view_select.h"
#include "base/omsi_atomic_file.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] image ID (--mz MZ [--ppm N | --width DA] | --tic)\n"
    "                    [--dataset N] [-o FILE.png] [--scale linear|sqrt|log]\n"
    "                    [--colormap NAME] [--colorbar] [--zoom K] [--csv]\n"
    "\n"
    "Write the ion image of source ID (the SOURCE column of `omsi-catalog query`):\n"
    "at every pixel, the sum of the intensities of the m/z bins in a window, read\n"
    "from the converted file's image-chunked copy where there is one (-v says\n"
    "which copy). The PNG has one pixel per grid cell (times --zoom), x to the\n"
    "right and y downwards; colours span 0 (or the lowest value, if negative)\n"
    "to the highest value.\n"
    "\n"
    "Options:\n"
    "  --mz MZ          the ion's m/z; without --ppm or --width, the one bin\n"
    "                   nearest to MZ\n"
    "  --ppm N          the bins within MZ +- N ppm\n"
    "  --width DA       the bins within MZ +- DA/2 (DA is the window's full width)\n"
    "  --tic            the total ion current: the sum over every bin\n"
    "  --dataset N      the source's dataset number N, from 0 (default 0), in the\n"
    "                   order `omsi-catalog show ID` lists them\n"
    "  -o FILE          where to write (\"-\": standard output); default\n"
    "                   omsi-ID-N-mzMZ.png (or -tic.png, .csv) in the current folder.\n"
    "                   Written under a temporary name and renamed when complete.\n"
    "  --scale S        linear (default), sqrt or log (log(1 + v))\n"
    "  --colormap NAME  viridis (default), magma, inferno, cividis or gray\n"
    "  --colorbar       a colour bar with the value range to the right\n"
    "  --zoom K         K x K picture pixels per grid cell (1..64, default 1)\n"
    "  --csv            the pixel values as CSV instead: x,y,intensity per pixel\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 written, 1 no such source or dataset, m/z outside the\n"
    "dataset's axis, unreadable or unwritable file, 2 usage error.\n";

typedef struct image_options {
    const char *id_text, *output, *scale_name, *colormap_name;
    double mz, ppm, width;
    bool have_mz, have_ppm, have_width, tic, csv, colorbar;
    uint64_t dataset, zoom;
} image_options;

/* "omsi-catalog image: <what>", then the usage; returns 2. */
#define usage_error(...) view_usage_error("image", usage_text, __VA_ARGS__)

static int parse(int argc, char **argv, image_options *o)
{
    static const struct option options[] = {
        {"mz", required_argument, NULL, 'm'},      {"ppm", required_argument, NULL, 'p'},
        {"width", required_argument, NULL, 'w'},   {"tic", no_argument, NULL, 't'},
        {"dataset", required_argument, NULL, 'd'}, {"output", required_argument, NULL, 'o'},
        {"scale", required_argument, NULL, 's'},   {"colormap", required_argument, NULL, 'c'},
        {"colorbar", no_argument, NULL, 'b'},      {"zoom", required_argument, NULL, 'z'},
        {"csv", no_argument, NULL, 'C'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (image_options){.scale_name = "linear", .colormap_name = "viridis", .zoom = 1};
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'm':
            if (!view_parse_double(optarg, &o->mz) || o->mz <= 0)
                return usage_error("--mz needs a positive number, not '%s'", optarg);
            o->have_mz = true;
            break;
        case 'p':
            if (!view_parse_double(optarg, &o->ppm) || o->ppm <= 0)
                return usage_error("--ppm needs a positive number, not '%s'", optarg);
            o->have_ppm = true;
            break;
        case 'w':
            if (!view_parse_double(optarg, &o->width) || o->width <= 0)
                return usage_error("--width needs a positive number of daltons, not '%s'", optarg);
            o->have_width = true;
            break;
        case 't': o->tic = true; break;
        case 'd':
            if (!view_parse_u64(optarg, &o->dataset) || o->dataset > 1u << 20)
                return usage_error("--dataset needs a dataset number (0, 1, ...), not '%s'", optarg);
            break;
        case 'o': o->output = optarg; break;
        case 's': o->scale_name = optarg; break;
        case 'c': o->colormap_name = optarg; break;
        case 'b': o->colorbar = true; break;
        case 'z':
            if (!view_parse_u64(optarg, &o->zoom) || o->zoom < 1 || o->zoom > 64)
                return usage_error("--zoom needs a whole number from 1 to 64, not '%s'", optarg);
            break;
        case 'C': o->csv = true; break;
        case 'h': fputs(usage_text, stdout); return -1;
        default: return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        o->id_text = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (o->have_mz == o->tic)
        return usage_error("%s", "give either --mz MZ or --tic");
    if (o->have_ppm && o->have_width)
        return usage_error("%s", "--ppm and --width both set the window: give one");
    if ((o->have_ppm || o->have_width) && !o->have_mz)
        return usage_error("%s", "--ppm and --width need --mz");
    return 0;
}

static int write_csv(const char *path, const double *img, uint64_t nx, uint64_t ny, omsi_error *err)
{
    omsi_atomic_file f;
    int rc = omsi_atomic_file_open(path, &f, err);
    if (rc)
        return rc;
    fputs("x,y,intensity\n", f.fp);
    for (uint64_t x = 0; x < nx; x++)
        for (uint64_t y = 0; y < ny; y++)
            fprintf(f.fp, "%llu,%llu,%.17g\n", (unsigned long long)x, (unsigned long long)y, img[x * ny + y]);
    return omsi_atomic_file_commit(&f, err);
}

int omsi_cmd_image(int argc, char **argv, const omsi_cli *cli)
{
    image_options o;
    int code = parse(argc, argv, &o);
    if (code)
        return code < 0 ? 0 : code;
    omsi_error err = {0};
    omsi_render render = {.zoom = (unsigned)o.zoom};
    omsi_colormap map;
    if (omsi_scale_parse(o.scale_name, &render.scale, &err) ||
        omsi_colormap_build(o.colormap_name, &map, &err)) {
        fprintf(stderr, "omsi-catalog image: %s\n", err.message);
        return 2;
    }
    render.colormap = &map;
    view_target t;
    if ((code = view_target_open(cli, "image", o.id_text, (unsigned)o.dataset, &t)))
        return code;
    uint64_t z0 = 0, z1 = 0, nx = t.view.shape[0], ny = t.view.shape[1];
    char what[128] = "", mz_name[64], source[256];
    double *img = NULL, lo = 0, hi = 0;
    uint8_t *rgb = NULL;
    uint32_t w = 0, h = 0;
    char *default_name = NULL;
    const char *output = o.output;
    double half = o.have_ppm ? o.mz * o.ppm * 1e-6 : o.have_width ? o.width / 2 : 0;
    char label[64];
    snprintf(label, sizeof label, "source %lld dataset %u", (long long)t.loc.source_id, t.loc.dataset_index);
    int rc = omsi_view_ion_bins(&t.view, label, o.tic, o.mz, half, &z0, &z1, what, sizeof what, &err);
    if (!rc && !(img = malloc((nx * ny > 0 ? nx * ny : 1) * sizeof *img)))
        rc = omsi_error_set(&err, OMSI_ERR_NOMEM, "no memory for a %llu x %llu image",
                            (unsigned long long)nx, (unsigned long long)ny);
    if (!rc)
        rc = omsi_view_ion_image(&t.view, o.tic, z0, z1, img, source, sizeof source, &err);
    if (!rc)
        omsi_log(cli->log, OMSI_LOG_INFO, "%s: %s of %s read from %s", t.loc.output_path, what, t.loc.hdf5_path,
                 source);
    if (!rc && !output) {
        if (o.tic)
            snprintf(mz_name, sizeof mz_name, "tic");
        else
            snprintf(mz_name, sizeof mz_name, "mz%g", o.mz);
        if (!(default_name = view_default_name(&t, mz_name, o.csv ? "csv" : "png")))
            rc = omsi_error_set(&err, OMSI_ERR_NOMEM, "out of memory");
        output = default_name;
    }
    if (!rc && o.csv) {
        rc = write_csv(output, img, nx, ny, &err);
    } else if (!rc) {
        if (o.colorbar) {
            omsi_image_range(img, nx * ny, &lo, &hi);
            rc = omsi_plot_image_with_colorbar(img, nx, ny, &render, lo, hi, &rgb, &w, &h, &err);
        } else {
            rc = omsi_render_image(img, nx, ny, &render, &rgb, &w, &h, &lo, &hi, &err);
        }
        char title[256];
        snprintf(title, sizeof title, "%s, source %lld dataset %u", what, (long long)t.loc.source_id,
                 t.loc.dataset_index);
        if (!rc)
            rc = omsi_png_write(output, w, h, rgb, title, &err);
    }
    if (rc) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
    } else if (strcmp(output, "-") != 0 && (isatty(STDERR_FILENO) || !o.output)) {
        if (o.csv)
            omsi_log(cli->log, OMSI_LOG_NOTICE, "wrote %s (%s, %llu pixels)", output, what,
                     (unsigned long long)(nx * ny));
        else
            omsi_log(cli->log, OMSI_LOG_NOTICE, "wrote %s (%ux%u, %s, values %.6g..%.6g)", output, w, h, what,
                     lo, hi);
    }
    free(default_name);
    free(img);
    free(rgb);
    view_target_close(&t);
    return rc ? 1 : 0;
}
