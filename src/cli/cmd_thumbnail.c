/* omsi-catalog thumbnail: the stored TIC thumbnail of a dataset as a PNG. */
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "cli/view_target.h"
#include "catalog/locate.h"
#include "catalog/thumbnail.h"
#include "base/omsi_atomic_file.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] thumbnail ID [--dataset N] [-o FILE.png]\n"
    "\n"
    "Write the TIC thumbnail the catalog stored when source ID was converted (a\n"
    "PNG whose longest side is at most 256 pixels, viridis on a square-root\n"
    "scale). Needs only the catalog, not the converted file.\n"
    "\n"
    "Options:\n"
    "  --dataset N   the source's dataset number N, from 0 (default 0)\n"
    "  -o FILE       where to write (\"-\": standard output); default\n"
    "                omsi-ID-N-thumbnail.png in the current folder\n"
    "  -h, --help    this text\n"
    "\n"
    "Exit status: 0 written, 1 no such source, dataset or thumbnail, or the file\n"
    "cannot be written, 2 usage error.\n";

int omsi_cmd_thumbnail(int argc, char **argv, const omsi_cli *cli)
{
    static const struct option options[] = {
        {"dataset", required_argument, NULL, 'd'}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    uint64_t dataset = 0, id = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'd':
            if (!view_parse_u64(optarg, &dataset) || dataset > 1u << 20) {
                fprintf(stderr, "omsi-catalog thumbnail: --dataset needs a dataset number, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'o': output = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default:
            fprintf(stderr, "omsi-catalog thumbnail: unknown or incomplete option '%s'\n\n%s", argv[optind - 1],
                    usage_text);
            return 2;
        }
    }
    if (optind + 1 != argc || !view_parse_u64(argv[optind], &id) || id == 0 || id > INT64_MAX) {
        fprintf(stderr, "omsi-catalog thumbnail: need one source ID (a positive number)\n\n%s", usage_text);
        return 2;
    }
    omsi_catalog *cat;
    if (omsi_open_cli_catalog(cli, OMSI_CATALOG_READ_ONLY, &cat))
        return 1;
    omsi_error err = {0};
    omsi_dataset_location loc;
    unsigned char *png = NULL;
    size_t bytes = 0;
    char name[96];
    int rc = omsi_catalog_locate(cat, (int64_t)id, (unsigned)dataset, &loc, &err);
    if (!rc) {
        rc = omsi_catalog_thumbnail(cat, loc.dataset_id, &png, &bytes, &err);
        omsi_dataset_location_free(&loc);
    }
    omsi_catalog_close(cat);
    if (!output) {
        snprintf(name, sizeof name, "omsi-%llu-%llu-thumbnail.png", (unsigned long long)id,
                 (unsigned long long)dataset);
        output = name;
    }
    omsi_atomic_file f;
    if (!rc && !(rc = omsi_atomic_file_open(output, &f, &err))) {
        if (fwrite(png, 1, bytes, f.fp) != bytes) {
            omsi_atomic_file_abort(&f);
            rc = omsi_error_set(&err, OMSI_ERR_IO, "%s: write failed", output);
        } else {
            rc = omsi_atomic_file_commit(&f, &err);
        }
    }
    if (rc)
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
    else if (strcmp(output, "-") != 0 && (output == name || isatty(STDERR_FILENO)))
        omsi_log(cli->log, OMSI_LOG_NOTICE, "wrote %s (%zu bytes)", output, bytes);
    free(png);
    return rc ? 1 : 0;
}
