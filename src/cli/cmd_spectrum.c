/* omsi-catalog spectrum: one pixel's spectrum, or the mean or maximum
 * spectrum, of a cataloged dataset as CSV, JSON or a plotted PNG. */
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "report/spectrum_json.h"
#include "cli/view_target.h"
#include "view/plot.h"
#include "view/png_write.h"
#include "view/view_select.h"
#include "base/omsi_atomic_file.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] spectrum ID (--x X --y Y | --mean | --max)\n"
    "                    [--dataset N] [--mz-range LO HI] [-o FILE[.png]] [--csv|--json]\n"
    "\n"
    "Print one spectrum of source ID (the SOURCE column of `omsi-catalog query`):\n"
    "the spectrum at pixel (X, Y), or the mean or maximum over all pixels, read\n"
    "from the converted file's spectrum-chunked copy.\n"
    "\n"
    "Options:\n"
    "  --x X --y Y        the pixel (from 0; `omsi-catalog show ID` gives nx, ny)\n"
    "  --mean, --max      the mean or maximum spectrum over every pixel\n"
    "  --dataset N        the source's dataset number N, from 0 (default 0)\n"
    "  --mz-range LO HI   only the bins with LO <= m/z <= HI\n"
    "  -o FILE            write to FILE; a name ending in .png is a plot (m/z\n"
    "                     against intensity, labelled axes and ticks), anything\n"
    "                     else gets CSV (or JSON with --json). Written under a\n"
    "                     temporary name and renamed when complete.\n"
    "  --csv              CSV: mz,intensity per bin (the default on stdout)\n"
    "  --json             {\"schema_version\", \"source_id\", \"dataset\", \"hdf5_path\",\n"
    "                     \"spectrum\": \"pixel\"|\"mean\"|\"max\", \"x\", \"y\",\n"
    "                     \"mz\": [...], \"intensity\": [...]}\n"
    "  --size WxH         the plot's size in pixels (default 1000x500)\n"
    "  -h, --help         this text\n"
    "\n"
    "Values are printed exactly (17 significant digits).\n"
    "Exit status: 0 written, 1 no such source or dataset, pixel outside the grid,\n"
    "no bin in the m/z range, unreadable or unwritable file, 2 usage error.\n";

typedef enum spectrum_kind { KIND_NONE, KIND_PIXEL, KIND_MEAN, KIND_MAX } spectrum_kind;

typedef struct spectrum_options {
    const char *id_text, *output;
    spectrum_kind kind;
    uint64_t x, y, dataset, plot_w, plot_h;
    bool have_x, have_y, have_range, csv, json;
    double lo, hi;
} spectrum_options;

/* "omsi-catalog spectrum: <what>", then the usage; returns 2. */
#define usage_error(...) view_usage_error("spectrum", usage_text, __VA_ARGS__)

static bool parse_size(const char *text, uint64_t *w, uint64_t *h)
{
    char *copy = strdup(text), *x = copy ? strchr(copy, 'x') : NULL;
    bool ok = x != NULL;
    if (ok) {
        *x = '\0';
        ok = view_parse_u64(copy, w) && view_parse_u64(x + 1, h) && *w >= 200 && *h >= 150 &&
             *w <= 8000 && *h <= 8000;
    }
    free(copy);
    return ok;
}

static int parse(int argc, char **argv, spectrum_options *o)
{
    static const struct option options[] = {
        {"x", required_argument, NULL, 'x'},       {"y", required_argument, NULL, 'y'},
        {"mean", no_argument, NULL, 'M'},          {"max", no_argument, NULL, 'X'},
        {"dataset", required_argument, NULL, 'd'}, {"mz-range", required_argument, NULL, 'r'},
        {"output", required_argument, NULL, 'o'},  {"csv", no_argument, NULL, 'C'},
        {"json", no_argument, NULL, 'J'},          {"size", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    *o = (spectrum_options){.plot_w = 1000, .plot_h = 500};
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'x':
            if (!view_parse_u64(optarg, &o->x))
                return usage_error("--x needs a pixel column (0, 1, ...), not '%s'", optarg);
            o->have_x = true;
            break;
        case 'y':
            if (!view_parse_u64(optarg, &o->y))
                return usage_error("--y needs a pixel row (0, 1, ...), not '%s'", optarg);
            o->have_y = true;
            break;
        case 'M':
        case 'X':
            if (o->kind != KIND_NONE)
                return usage_error("%s", "give one of --x/--y, --mean, --max");
            o->kind = opt == 'M' ? KIND_MEAN : KIND_MAX;
            break;
        case 'd':
            if (!view_parse_u64(optarg, &o->dataset) || o->dataset > 1u << 20)
                return usage_error("--dataset needs a dataset number (0, 1, ...), not '%s'", optarg);
            break;
        case 'r':
            if (optind >= argc || !view_parse_double(optarg, &o->lo) ||
                !view_parse_double(argv[optind], &o->hi) || o->hi < o->lo)
                return usage_error("--mz-range needs two numbers LO HI with LO <= HI (after '%s')", optarg);
            optind++;
            o->have_range = true;
            break;
        case 'o': o->output = optarg; break;
        case 'C': o->csv = true; break;
        case 'J': o->json = true; break;
        case 's':
            if (!parse_size(optarg, &o->plot_w, &o->plot_h))
                return usage_error("--size needs WxH between 200x150 and 8000x8000, not '%s'", optarg);
            break;
        case 'h': fputs(usage_text, stdout); return -1;
        default: return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        o->id_text = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (o->have_x || o->have_y) {
        if (o->kind != KIND_NONE)
            return usage_error("%s", "give one of --x/--y, --mean, --max");
        if (!o->have_x || !o->have_y)
            return usage_error("%s", "a pixel needs both --x and --y");
        o->kind = KIND_PIXEL;
    }
    if (o->kind == KIND_NONE)
        return usage_error("%s", "give --x X --y Y, --mean or --max");
    if (o->csv && o->json)
        return usage_error("%s", "--csv and --json exclude each other");
    return 0;
}

static bool is_png_name(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcasecmp(path + n - 4, ".png") == 0;
}

static omsi_spectrum_kind view_kind(spectrum_kind k)
{
    return k == KIND_PIXEL ? OMSI_SPECTRUM_PIXEL : k == KIND_MEAN ? OMSI_SPECTRUM_MEAN : OMSI_SPECTRUM_MAX;
}

static const char *kind_name(spectrum_kind k) { return omsi_spectrum_kind_name(view_kind(k)); }

static int write_text(const char *path, const spectrum_options *o, const view_target *t,
                      const double *mz, const double *values, uint64_t n, omsi_error *err)
{
    omsi_atomic_file f;
    int rc = omsi_atomic_file_open(path, &f, err);
    if (rc)
        return rc;
    if (o->json) {
        omsi_spectrum_doc doc = {.source_id = t->loc.source_id, .dataset = t->loc.dataset_index,
                                 .hdf5_path = t->loc.hdf5_path, .kind = view_kind(o->kind), .x = o->x, .y = o->y,
                                 .mz = mz, .intensity = values, .n = n};
        json_object *j = omsi_spectrum_json_doc(&doc);
        fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
              f.fp);
        fputc('\n', f.fp);
        json_object_put(j);
    } else {
        fputs("mz,intensity\n", f.fp);
        for (uint64_t i = 0; i < n; i++)
            fprintf(f.fp, "%.17g,%.17g\n", mz[i], values[i]);
    }
    return omsi_atomic_file_commit(&f, err);
}

int omsi_cmd_spectrum(int argc, char **argv, const omsi_cli *cli)
{
    spectrum_options o;
    int code = parse(argc, argv, &o);
    if (code)
        return code < 0 ? 0 : code;
    view_target t;
    if ((code = view_target_open(cli, "spectrum", o.id_text, (unsigned)o.dataset, &t)))
        return code;
    omsi_error err = {0};
    uint64_t nz = t.view.shape[2], z0 = 0, z1 = nz;
    double *values = malloc((nz ? nz : 1) * sizeof *values);
    const char *output = o.output ? o.output : "-";
    char source[256];
    uint8_t *rgb = NULL;
    omsi_plot_canvas canvas = {0};
    int rc = 0;
    if (!values)
        rc = omsi_error_set(&err, OMSI_ERR_NOMEM, "no memory for a %llu-bin spectrum", (unsigned long long)nz);
    else
        rc = omsi_view_spectrum_of(&t.view, view_kind(o.kind), o.x, o.y, values, source, sizeof source, &err);
    if (!rc && o.have_range)
        rc = omsi_view_mz_window(&t.view, o.lo, o.hi, &z0, &z1, &err);
    if (!rc) {
        omsi_log(cli->log, OMSI_LOG_INFO, "%s: %s spectrum of %s read from %s (bins %llu..%llu)",
                 t.loc.output_path, kind_name(o.kind), t.loc.hdf5_path, source, (unsigned long long)z0,
                 (unsigned long long)(z1 ? z1 - 1 : 0));
    }
    if (!rc && is_png_name(output)) {
        char title[256];
        if (o.kind == KIND_PIXEL)
            snprintf(title, sizeof title, "source %lld dataset %u, pixel (%llu, %llu)",
                     (long long)t.loc.source_id, t.loc.dataset_index, (unsigned long long)o.x,
                     (unsigned long long)o.y);
        else
            snprintf(title, sizeof title, "source %lld dataset %u, %s spectrum", (long long)t.loc.source_id,
                     t.loc.dataset_index, kind_name(o.kind));
        rc = omsi_plot_canvas_new(&canvas, (uint32_t)o.plot_w, (uint32_t)o.plot_h, &err);
        if (!rc)
            rc = omsi_plot_spectrum(&canvas, t.view.mz + z0, values + z0, z1 - z0, title, &err);
        if (!rc)
            rc = omsi_plot_canvas_rgb(&canvas, &rgb, &err);
        if (!rc)
            rc = omsi_png_write(output, canvas.width, canvas.height, rgb, title, &err);
    } else if (!rc) {
        rc = write_text(output, &o, &t, t.view.mz + z0, values + z0, z1 - z0, &err);
    }
    if (rc)
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
    else if (strcmp(output, "-") != 0 && isatty(STDERR_FILENO))
        omsi_log(cli->log, OMSI_LOG_NOTICE, "wrote %s (%llu bins)", output, (unsigned long long)(z1 - z0));
    omsi_plot_canvas_free(&canvas);
    free(rgb);
    free(values);
    view_target_close(&t);
    return rc ? 1 : 0;
}
