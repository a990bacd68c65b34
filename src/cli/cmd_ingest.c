/* omsi-catalog ingest: convert datasets and record them in the catalog. */
#include "report/json_doc.h"
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "base/omsi_escape.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] ingest PATH... --output-dir DIR [OPTIONS]\n"
    "\n"
    "Classify each PATH (a dataset file, stem or folder), convert it to an OpenMSI\n"
    "HDF5 file in DIR named <dataset>-<fingerprint>.h5, and record its\n"
    "experiments, datasets, regions, dependencies and metadata in the catalog in\n"
    "one transaction. A dataset already recorded with the same content (SHA-256\n"
    "of its files) is left alone (\"unchanged\"), unless its output file is missing\n"
    "or marked broken by `verify --repair`: then it is converted again\n"
    "(\"restored\"). Changed content at a known path is recorded as a new version;\n"
    "a dataset that changes while it is converted is not recorded. Sources are only read. Each PATH is also a job in the\n"
    "catalog's history: done, or quarantined with its error (`query --state`).\n"
    "\n"
    "Options:\n"
    "  -o, --output-dir DIR   folder for the HDF5 files (created if missing)\n"
    "  -f, --format FMT       auto (default), img, imzml, mzml or bruckerflex\n"
    "  -c, --compression N    gzip level 0-9 (default 4); --no-compression\n"
    "      --json             one JSON object per path on stdout, as an array\n"
    "  -h, --help             this text\n"
    "\n"
    "Catalog: --catalog FILE (before or after the command), else $OMSI_CATALOG,\n"
    "else /var/lib/omsi-catalog/catalog.sqlite.\n"
    "Exit status: 0 every path ingested or unchanged, 1 some path failed, 2 usage.\n";

static const char *outcome_name(omsi_ingest_outcome o)
{
    return o == OMSI_INGEST_NEW           ? "new"
           : o == OMSI_INGEST_NEW_VERSION ? "new-version"
           : o == OMSI_INGEST_RESTORED    ? "restored"
                                          : "unchanged";
}

int omsi_cmd_ingest(int argc, char **argv, const omsi_cli *cli)
{
    enum { OPT_JSON = 256, OPT_NO_COMPRESSION };
    static const struct option options[] = {
        {"output-dir", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'f'},
        {"compression", required_argument, NULL, 'c'}, {"no-compression", no_argument, NULL, OPT_NO_COMPRESSION},
        {"json", no_argument, NULL, OPT_JSON},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    omsi_ingest_options opts = {.convert = omsi_convert_options_default()};
    bool json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "o:f:c:h", options, NULL)) != -1) {
        switch (opt) {
        case 'o': opts.output_dir = optarg; break;
        case 'f':
            if (strcmp(optarg, "auto") != 0 && !omsi_format_by_name(optarg)) {
                fprintf(stderr, "omsi-catalog ingest: unknown format '%s'\n", optarg);
                return 2;
            }
            opts.convert.format = optarg;
            break;
        case 'c': {
            char *end;
            long level = strtol(optarg, &end, 10);
            if (*end || end == optarg || level < 0 || level > 9) {
                fprintf(stderr, "omsi-catalog ingest: --compression takes 0-9, not '%s'\n", optarg);
                return 2;
            }
            opts.convert.compression_level = (int)level;
            break;
        }
        case OPT_NO_COMPRESSION: opts.convert.compression_level = -1; break;
        case OPT_JSON: json = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (!opts.output_dir || optind >= argc) {
        fprintf(stderr, "omsi-catalog ingest: need PATH... and --output-dir DIR\n\n%s", usage_text);
        return 2;
    }
    if (mkdir(opts.output_dir, 0755) != 0 && errno != EEXIST) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s: %s", opts.output_dir, strerror(errno));
        return 1;
    }
    opts.convert.log = cli->log;
    opts.convert.reader.log = cli->log;
    omsi_progress progress;
    omsi_progress_init(&progress, "omsi-catalog ingest", stderr, cli->log && cli->log->max_priority > OMSI_LOG_ERR,
                       isatty(STDERR_FILENO));
    opts.convert.progress = omsi_progress_update;
    opts.convert.progress_ctx = &progress;
    omsi_catalog *cat;
    if (omsi_open_cli_catalog(cli, OMSI_CATALOG_READ_WRITE, &cat))
        return 1;
    json_object *results = json_object_new_array();
    int status = 0;
    for (int i = optind; i < argc; i++) {
        omsi_ingest_report report;
        omsi_error err = {0};
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(argv[i]));
        /* Each path is a job in the history: done, or quarantined with the
         * error (a daemon sharing the catalog does not retry it). */
        char *canonical = realpath(argv[i], NULL);
        const char *job_path = canonical ? canonical : argv[i];
        omsi_error job_err = {0};
        opts.job_id = 0;
        if (omsi_catalog_job_start(cat, job_path, opts.convert.format, &opts.job_id, &job_err))
            omsi_log(cli->log, OMSI_LOG_WARNING, "%s", job_err.message);
        int rc = omsi_ingest_path(cat, argv[i], &opts, &report, &err);
        omsi_progress_finish(&progress);
        if (opts.job_id > 0 && rc) {
            if (omsi_catalog_job_fail(cat, opts.job_id, err.message, omsi_cat_wall_clock(), 1, 0, &job_err))
                omsi_log(cli->log, OMSI_LOG_WARNING, "%s", job_err.message);
        } else if (opts.job_id > 0 && report.outcome == OMSI_INGEST_UNCHANGED) {
            if (omsi_catalog_job_done(cat, opts.job_id, &job_err))
                omsi_log(cli->log, OMSI_LOG_WARNING, "%s", job_err.message);
        }
        free(canonical);
        if (rc) {
            omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
            json_object_object_add(o, "outcome", json_object_new_string("failed"));
            json_object_object_add(o, "error", json_object_new_string(err.message));
            status = 1;
        } else {
            json_object_object_add(o, "outcome", json_object_new_string(outcome_name(report.outcome)));
            json_object_object_add(o, "source_id", json_object_new_int64(report.source_id));
            if (report.output_path)
                json_object_object_add(o, "output", json_object_new_string(report.output_path));
            json_object_object_add(o, "datasets", json_object_new_int64((int64_t)report.datasets));
            if (!json) { /* names escaped: a newline in one stays on its line */
                printf("%-11s source %lld  ", outcome_name(report.outcome), (long long)report.source_id);
                omsi_escape_fputs(argv[i], stdout);
                if (report.output_path) {
                    fputs("  -> ", stdout);
                    omsi_escape_fputs(report.output_path, stdout);
                }
                putchar('\n');
            }
            omsi_ingest_report_free(&report);
        }
        json_object_array_add(results, o);
    }
    if (json) {
        json_object *doc = omsi_json_doc();
        json_object_object_add(doc, "results", json_object_get(results));
        omsi_json_print(doc, stdout);
        json_object_put(doc);
    }
    json_object_put(results);
    omsi_catalog_close(cat);
    return status;
}
