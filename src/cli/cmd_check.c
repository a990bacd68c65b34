/* omsi-catalog check PATH... [--stats] [--json]: classify raw datasets with
 * the format registry and describe their cubes (check_collect.c), for
 * people (check_text.c) or scripts (json). */
#include "report/json_doc.h"
#include "base/omsi_escape.h"
#include "cli/check_report.h"
#include "cli/commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char check_usage[] =
    "Usage: omsi-catalog check PATH... [--stats] [--json] [--format NAME]\n"
    "                          [--force-unsigned]\n"
    "\n"
    "Classify each PATH as a raw mass spectrometry imaging dataset and describe\n"
    "it. PATH may name any file of a dataset, its stem, or a directory holding\n"
    "one (an Analyze .hdr/.t2m/.img triplet, an .imzML with its .ibd, an mzML\n"
    "file, a Bruker flex spot tree or spot list).\n"
    "\n"
    "For each PATH it reports the format (\"unknown\" when no reader claims it),\n"
    "whether the dataset is valid (or incomplete/broken, and why, naming the\n"
    "file), the estimated size of the full data cube in bytes, the files that\n"
    "make up the dataset, and for every dataset (mzML scan type) and region\n"
    "(Bruker flex; all regions merged first, then each region): the cube shape\n"
    "(x, y, m/z), the intensity data type, the m/z count, minimum and maximum,\n"
    "the number of spectra and the dependencies on other datasets. Only the\n"
    "headers are read unless --stats is given.\n"
    "\n"
    "Options:\n"
    "  --stats           also read every spectrum and report the total intensity\n"
    "                    (float64 sum of the stored values) and the spectra read;\n"
    "                    streams, memory stays at one spectrum\n"
    "  --json            print one JSON object {\"ok\": BOOL, \"paths\": [...]}; keys\n"
    "                    per path: path, format, validity, valid, error,\n"
    "                    size_bytes, files, datasets; per dataset: dataset, region,\n"
    "                    name, shape, dtype, mz_dtype, n_mz, mz_min, mz_max,\n"
    "                    mz_first, mz_last, mz_strictly_increasing, n_spectra,\n"
    "                    pixel_count, checksum (ok, mismatch or absent: the\n"
    "                    declared .ibd MD5/SHA-1 or mzML fileChecksum),\n"
    "                    dependencies, and with --stats\n"
    "                    total_intensity, spectra_read\n"
    "  --format NAME     do not auto-detect; use this format (see `formats`)\n"
    "  --force-unsigned  read Analyze datatype 4 as uint16 (BASTet's reading)\n"
    "  -h, --help        this text\n"
    "\n"
    "Warnings (e.g. a non-increasing m/z axis) go to stderr.\n"
    "\n"
    "Exit status: 0 every PATH is a valid, readable dataset; 1 some PATH is\n"
    "unknown, incomplete, broken or unreadable; 2 usage error.\n"
    "\n"
    "Examples:\n"
    "  omsi-catalog check drop/Analyze75.hdr\n"
    "  omsi-catalog check --stats --json drop/*.imzML\n";

int omsi_cmd_check(int argc, char **argv, const omsi_cli *cli)
{
    static const struct option options[] = {
        {"stats", no_argument, NULL, 's'},          {"json", no_argument, NULL, 'j'},
        {"format", required_argument, NULL, 'f'},   {"force-unsigned", no_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    check_options opts = {.log = cli ? cli->log : NULL};
    bool json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 's': opts.stats = true; break;
        case 'j': json = true; break;
        case 'u': opts.force_unsigned = true; break;
        case 'f':
            opts.format = omsi_format_by_name(optarg);
            if (!opts.format) {
                fputs("omsi-catalog check: unknown format '", stderr);
                omsi_escape_fputs(optarg, stderr);
                fputs("' (formats:", stderr);
                size_t n;
                const omsi_format *const *all = omsi_available_formats(&n);
                for (size_t k = 0; k < n; k++)
                    fprintf(stderr, "%s %s", k ? "," : "", all[k]->name);
                fputs("; brukerflex is bruckerflex)\n", stderr);
                return 2;
            }
            break;
        case 'h': fputs(check_usage, stdout); return 0;
        default: fputs(check_usage, stderr); return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "omsi-catalog check: no PATH given\n\n%s", check_usage);
        return 2;
    }
    bool all_ok = true;
    json_object *paths = json ? json_object_new_array() : NULL;
    for (int i = optind; i < argc; i++) {
        json_object *o = NULL;
        bool ok = check_describe_path(argv[i], &opts, &o);
        all_ok = all_ok && ok;
        if (json) {
            json_object_array_add(paths, o);
        } else {
            if (i > optind)
                fputc('\n', stdout);
            check_print_text(stdout, o, opts.stats);
            json_object_put(o);
        }
    }
    if (json) {
        json_object *root = omsi_json_doc();
        json_object_object_add(root, "ok", json_object_new_boolean(all_ok));
        json_object_object_add(root, "paths", paths);
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
    }
    if (fflush(stdout) != 0) {
        perror("omsi-catalog check: stdout");
        return 1;
    }
    return all_ok ? 0 : 1;
}
