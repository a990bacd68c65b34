/* omsi-catalog: inspect raw datasets and search the catalog of converted ones. */
#include "config.h"

#include "cli/commands.h"
#include "base/omsi_log.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] [-v|-q] COMMAND [ARGS...]\n"
    "\n"
    "Inspect raw mass spectrometry imaging datasets and search the catalog of\n"
    "converted OpenMSI HDF5 files.\n"
    "\n"
    "Commands:\n"
    "  check PATH... [--stats] [--json]   classify datasets and describe their cubes\n"
    "  formats [--json]                   list the input formats and their capabilities\n"
    "  ingest PATH... --output-dir DIR    convert datasets and record them in the catalog\n"
    "  query [FILTERS] [--json|--csv]     search the catalog (see `omsi-catalog query --help`)\n"
    "  show ID [--json]                   everything recorded about one source\n"
    "  image ID (--mz MZ | --tic)         an ion image as a PNG (or CSV)\n"
    "  spectrum ID (--x X --y Y | --mean | --max)\n"
    "                                     one spectrum as CSV, JSON or a PNG plot\n"
    "  thumbnail ID [-o FILE.png]         the TIC thumbnail stored in the catalog\n"
    "  stats [--json]                     counts by format and job state, bytes in and out\n"
    "  verify [--repair] [--json]         check that every recorded output file is there\n"
    "                                     and intact; --repair queues broken ones again\n"
    "\n"
    "Global options:\n"
    "  --catalog FILE   the SQLite catalog (default: $OMSI_CATALOG, else\n"
    "                   /var/lib/omsi-catalog/catalog.sqlite)\n"
    "  -v, --verbose    more log output on stderr (repeat for debug)\n"
    "  -q, --quiet      errors only\n"
    "  -h, --help       this text;  COMMAND --help for a command's options\n"
    "  -V, --version    print the version\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

typedef int (*command_fn)(int, char **, const omsi_cli *);

static const struct {
    const char *name;
    command_fn fn;
} commands[] = {
    {"check", omsi_cmd_check},   {"formats", omsi_cmd_formats}, {"ingest", omsi_cmd_ingest},
    {"query", omsi_cmd_query},   {"show", omsi_cmd_show},       {"stats", omsi_cmd_stats},
    {"verify", omsi_cmd_verify}, {"image", omsi_cmd_image},     {"spectrum", omsi_cmd_spectrum},
    {"thumbnail", omsi_cmd_thumbnail},
};

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"catalog", required_argument, NULL, 'c'}, {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
    };
    omsi_cli cli = {0};
    int verbosity = OMSI_LOG_NOTICE;
    int opt;
    /* '+' stops at the first non-option: the command name. */
    while ((opt = getopt_long(argc, argv, "+c:vqhV", options, NULL)) != -1) {
        switch (opt) {
        case 'c': cli.catalog_path = optarg; break;
        case 'v': verbosity++; break;
        case 'q': verbosity = OMSI_LOG_ERR; break;
        case 'h': fputs(usage_text, stdout); return 0;
        case 'V': printf("omsi-catalog %s\n", PACKAGE_VERSION); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (optind >= argc) {
        fputs(usage_text, stderr);
        return 2;
    }
    omsi_logger log = omsi_logger_make("omsi-catalog", verbosity);
    cli.log = &log;
    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* re-initialise getopt for the subcommand */
            return commands[i].fn(sub_argc, sub_argv, &cli);
        }
    }
    fprintf(stderr, "omsi-catalog: unknown command '%s'\n\n%s", name, usage_text);
    return 2;
}
