/* omsi-catalog serve: the web view of the catalog (src/serve) until SIGTERM
 * or SIGINT. */
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "cli/view_target.h"
#include "serve/serve.h"
#include "serve/serve_token.h"
#include "base/omsi_atomic_file.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] serve [--listen ADDR:PORT] [--token-file FILE]\n"
    "                    [--insecure] [--threads N] [--rate-limit N] [--port-file FILE]\n"
    "\n"
    "Serve the catalog read-only over HTTP: a page to search it and look at\n"
    "ion images and spectra (http://ADDR:PORT/), and a JSON API with the same\n"
    "documents as the CLI: /api/datasets?FILTERS (query --json; every filter of\n"
    "`omsi-catalog query` as a parameter, limit and offset pages),\n"
    "/api/datasets/ID (show --json), /api/datasets/ID/image.png?mz=&ppm=,\n"
    "/api/datasets/ID/spectrum.json?x=&y= (or mean=1, max=1; spectrum --json),\n"
    "/api/datasets/ID/thumbnail.png, /api/stats (stats --json). Errors are\n"
    "{\"error\": ...} with status 400, 401, 404, 405, 413, 414, 429 or 500.\n"
    "\n"
    "Options:\n"
    "  --listen ADDR:PORT  where to listen (default 127.0.0.1:8642; [::1]:PORT for\n"
    "                      IPv6; port 0 picks a free one, printed on stderr)\n"
    "  --token-file FILE   every API request needs \"Authorization: Bearer TOKEN\",\n"
    "                      TOKEN the file's first line (16 to 256 characters)\n"
    "  --insecure          listen on a non-loopback address without a token\n"
    "  --threads N         request threads and catalog connections (1..16, default 4)\n"
    "  --rate-limit N      requests a second per client address (burst 4 N;\n"
    "                      default 100, 0 = no limit)\n"
    "  --port-file FILE    write the port it listens on to FILE (for scripts)\n"
    "  -h, --help          this text\n"
    "\n"
    "One line per request on stderr: client, method, path, status, milliseconds.\n"
    "SIGTERM or SIGINT stops it (the requests in hand are finished).\n"
    "Catalog: --catalog FILE (before or after the command), else $OMSI_CATALOG,\n"
    "else /var/lib/omsi-catalog/catalog.sqlite.\n"
    "Exit status: 0 stopped by a signal, 1 cannot listen or no catalog, 2 usage error.\n";

#define usage_error(...) view_usage_error("serve", usage_text, __VA_ARGS__)

typedef struct serve_options {
    const char *listen, *token_file, *port_file;
    bool insecure;
    uint64_t threads, rate;
} serve_options;

static int parse(int argc, char **argv, serve_options *o)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},  {"token-file", required_argument, NULL, 't'},
        {"insecure", no_argument, NULL, 'I'},      {"threads", required_argument, NULL, 'n'},
        {"rate-limit", required_argument, NULL, 'r'}, {"port-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    *o = (serve_options){.threads = 4, .rate = 100};
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'l': o->listen = optarg; break;
        case 't': o->token_file = optarg; break;
        case 'I': o->insecure = true; break;
        case 'n':
            if (!view_parse_u64(optarg, &o->threads) || o->threads < 1 || o->threads > 16)
                return usage_error("--threads needs a number from 1 to 16, not '%s'", optarg);
            break;
        case 'r':
            if (!view_parse_u64(optarg, &o->rate) || o->rate > 1000000)
                return usage_error("--rate-limit needs a number of requests a second, not '%s'", optarg);
            break;
        case 'p': o->port_file = optarg; break;
        case 'h': fputs(usage_text, stdout); return -1;
        default: return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return 0;
}

static int write_port_file(const char *path, unsigned port, omsi_error *err)
{
    omsi_atomic_file f;
    int rc = omsi_atomic_file_open(path, &f, err);
    if (rc)
        return rc;
    fprintf(f.fp, "%u\n", port);
    return omsi_atomic_file_commit(&f, err);
}

int omsi_cmd_serve(int argc, char **argv, const omsi_cli *cli)
{
    serve_options o;
    int code = parse(argc, argv, &o);
    if (code)
        return code < 0 ? 0 : code;
    omsi_error err = {0};
    char *token = NULL;
    if (o.token_file && serve_token_read(o.token_file, &token, &err)) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
        return 1;
    }
    /* Blocked before any thread starts, so that every thread inherits the
     * mask and sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    omsi_serve_config cfg = {.listen = o.listen, .catalog_path = omsi_catalog_default_path(cli->catalog_path),
                             .token = token, .insecure = o.insecure, .threads = (unsigned)o.threads,
                             .rate_per_second = o.rate ? (double)o.rate : -1, .log = cli->log};
    omsi_server *server = NULL;
    int rc = omsi_serve_start(&cfg, &server, &err);
    if (!rc && o.port_file)
        rc = write_port_file(o.port_file, omsi_serve_port(server), &err);
    if (rc) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
        omsi_serve_stop(server);
        free(token);
        return err.status == OMSI_ERR_USAGE ? 2 : 1;
    }
    /* NOTICE: printed at the default verbosity (scripts read the port). */
    omsi_log(cli->log, OMSI_LOG_NOTICE, "listening on http://%s/ (catalog %s%s)", omsi_serve_address(server),
             cfg.catalog_path, token ? ", bearer token required" : "");
    int sig = 0;
    sigwait(&stop, &sig);
    omsi_log(cli->log, OMSI_LOG_NOTICE, "stopping on signal %d", sig);
    omsi_serve_stop(server);
    free(token);
    return 0;
}
