/* omsi-catalog: inspect raw datasets and search the catalog of converted ones. */
#include "config.h"

#include "cli/commands.h"
#include "base/omsi_escape.h"
#include "base/omsi_log.h"

#include <getopt.h>
#include <locale.h>
#include <stdbool.h>
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
    "  help [COMMAND]                     this text, or COMMAND --help\n"
    "\n"
    "Global options:\n"
    "  --catalog FILE   the SQLite catalog (default: $OMSI_CATALOG, else\n"
    "                   /var/lib/omsi-catalog/catalog.sqlite); also after COMMAND\n"
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
    {"thumbnail", omsi_cmd_thumbnail}, {"serve", omsi_cmd_serve},
};

/* Edit distance of a and b (both short: command names and what was typed,
 * cut at 31 bytes). */
static size_t edit_distance(const char *a, const char *b)
{
    enum { N = 32 };
    size_t la = strnlen(a, N - 1), lb = strnlen(b, N - 1);
    size_t row[N];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int command_index(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return (int)i;
    return -1;
}

/* "unknown command 'qeury'; did you mean 'query'?" when one command is
 * within two edits (a swap counts two) or starts with what was typed. */
static int unknown_command(const char *name)
{
    const char *best = NULL;
    size_t best_distance = 3;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        size_t d = edit_distance(name, commands[i].name);
        if (d < best_distance || (!best && name[0] && strncmp(commands[i].name, name, strlen(name)) == 0)) {
            best = commands[i].name;
            best_distance = d;
        }
    }
    fputs("omsi-catalog: unknown command '", stderr);
    omsi_escape_fputs(name, stderr);
    if (best)
        fprintf(stderr, "'; did you mean '%s'?\n", best);
    else
        fputs("' (see omsi-catalog --help)\n", stderr);
    return 2;
}

/* Takes --catalog FILE / --catalog=FILE out of a subcommand's arguments
 * (before a "--"), so that it may follow the command name as well; the
 * last one given wins, as with getopt. */
static void take_catalog_option(int *argc, char **argv, omsi_cli *cli, bool *missing_value)
{
    int out = 1;
    bool done = false;
    for (int i = 1; i < *argc; i++) {
        if (!done && strcmp(argv[i], "--") == 0)
            done = true;
        if (!done && strcmp(argv[i], "--catalog") == 0) {
            if (i + 1 == *argc) {
                *missing_value = true;
                break;
            }
            cli->catalog_path = argv[++i];
            continue;
        }
        if (!done && strncmp(argv[i], "--catalog=", 10) == 0) {
            cli->catalog_path = argv[i] + 10;
            continue;
        }
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"catalog", required_argument, NULL, 'c'}, {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
    };
    /* Display widths of non-ASCII text (tables) need a UTF-8 character
     * type; only LC_CTYPE: numbers keep their C form. */
    const char *ctype = setlocale(LC_CTYPE, "");
    if (!ctype || strcmp(ctype, "C") == 0 || strcmp(ctype, "POSIX") == 0)
        setlocale(LC_CTYPE, "C.UTF-8");
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
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    char *help_argv[] = {NULL, (char *)"--help", NULL};
    if (strcmp(name, "help") == 0) {
        /* help [COMMAND] = COMMAND --help */
        if (sub_argc < 2) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (sub_argc > 2) {
            fputs("omsi-catalog help: one COMMAND at most\n", stderr);
            return 2;
        }
        name = help_argv[0] = sub_argv[1];
        sub_argc = 2;
        sub_argv = help_argv;
    }
    int k = command_index(name);
    if (k < 0)
        return unknown_command(name);
    bool missing = false;
    take_catalog_option(&sub_argc, sub_argv, &cli, &missing);
    if (missing) {
        fprintf(stderr, "omsi-catalog %s: --catalog needs a value\n", name);
        return 2;
    }
    optind = 0; /* re-initialise getopt for the subcommand */
    return commands[k].fn(sub_argc, sub_argv, &cli);
}
