/* omsi-watchd: watches drop folders, waits until each dataset is completely
 * written (the settle rule), queues it in the catalog and lets a pool of
 * worker processes convert and record it. This file parses the command line;
 * watchd_daemon.c starts the daemon and watchd_loop.c runs its event loop. */
#include "watchd/watchd_check_config.h"
#include "watchd/watchd_config.h"
#include "watchd/watchd_daemon.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "Usage: omsi-watchd --config FILE [options]\n"
    "       omsi-watchd --watch DIR... --output-dir DIR --catalog FILE [options]\n"
    "       omsi-watchd --check-config FILE\n"
    "\n"
    "Watch drop folders for mass spectrometry imaging datasets, wait until each\n"
    "one is completely written, convert it to OpenMSI HDF5 in the output folder\n"
    "and record it in the SQLite catalog. Source files are only ever read.\n"
    "\n"
    "A dataset is taken when none of its files changed size or mtime for the\n"
    "settle time AND every companion file is there: .hdr+.t2m+.img (Analyze 7.5),\n"
    ".imzML+.ibd, .mzML, or a whole Bruker spot tree (a folder of R<r>X<x>Y<y>\n"
    "or 0_A1 spot folders, with its spot list). Jobs live in the catalog: a\n"
    "restart resumes pending and interrupted jobs; a failed job is retried\n"
    "after retry_backoff seconds, doubling each time, and quarantined after\n"
    "max_attempts failures.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE       read settings from FILE (key = value lines; see\n"
    "                          docs/watchd.md); options given here override it\n"
    "  -w, --watch DIR...      a drop folder, watched recursively (repeatable;\n"
    "                          extra arguments are drop folders too)\n"
    "  -o, --output-dir DIR    where the .h5 files are written\n"
    "      --catalog FILE      the SQLite catalog, or a PostgreSQL URI\n"
    "                          (postgresql://user@host/db) shared by several\n"
    "                          hosts (default: $OMSI_CATALOG, else\n"
    "                          /var/lib/omsi-catalog/catalog.sqlite)\n"
    "  -s, --settle SECONDS    quiet time before a dataset is taken (default 30)\n"
    "  -j, --workers N         conversion processes (default 1)\n"
    "      --poll SECONDS      rescan every SECONDS instead of using inotify\n"
    "                          (network filesystems: NFS, SMB)\n"
    "      --once              scan, wait for every dataset to settle, process\n"
    "                          the queue, exit\n"
    "      --max-attempts N    failures before a job is quarantined (default 5)\n"
    "      --retry-backoff SECONDS, --backoff SECONDS\n"
    "                          first retry delay, doubled each time (default 60)\n"
    "      --lease-seconds SECONDS\n"
    "                          a running job's lease, renewed every third of it;\n"
    "                          when its host dies, another host takes the job\n"
    "                          once it expired (default 60)\n"
    "      --classify-timeout-seconds SECONDS, --classify-timeout SECONDS\n"
    "                          CPU and wall time allowed to decide whether a\n"
    "                          settled dataset is complete; past it the dataset\n"
    "                          is quarantined (default 60)\n"
    "      --serve ADDR:PORT   serve the catalog's web view and JSON API from the\n"
    "                          daemon (as `omsi-catalog serve`; key `serve`)\n"
    "      --serve-token-file FILE\n"
    "                          its bearer token, needed for a non-loopback ADDR\n"
    "      --check-config FILE check FILE and exit: every bad line (with its\n"
    "                          number), value out of range and folder that is\n"
    "                          missing, unreadable (watch) or not writable\n"
    "                          (output_dir, the catalog's folder) is listed;\n"
    "                          run it as the service's user (sudo -u omsi)\n"
    "  -v, --verbose           log debug messages\n"
    "  -q, --quiet             log warnings and errors only\n"
    "  -h, --help              show this help\n"
    "  -V, --version           show the version\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop taking jobs; a conversion in hand is cancelled\n"
    "(no partial output) and its job goes back to pending; exit status 0.\n"
    "SIGHUP reloads the config file.\n"
    "\n"
    "Under systemd (Type=notify) the daemon reports READY, STATUS, RELOADING,\n"
    "STOPPING and pings the watchdog; log lines carry journald priorities.\n"
    "\n"
    "If inotify runs out of watches, raise fs.inotify.max_user_watches\n"
    "(sysctl) or use --poll.\n"
    "\n"
    "Exit status: 0 ok, 1 failure (a job failed in --once mode, a fatal error,\n"
    "or --check-config found problems), 2 usage error.\n";

static int add_setting(watchd_invocation *cli, const char *key, const char *value)
{
    if (cli->n_settings == sizeof cli->settings / sizeof cli->settings[0]) {
        fprintf(stderr, "omsi-watchd: too many options\n");
        return -1;
    }
    cli->settings[cli->n_settings++] = (watchd_setting){key, value};
    return 0;
}

/* 0 ok, 2 usage error, 3 = --help/--version printed (exit 0). */
static int parse_args(int argc, char **argv, watchd_invocation *cli, const char **check_config)
{
    enum { OPT_CATALOG = 256, OPT_POLL, OPT_ONCE, OPT_MAX_ATTEMPTS, OPT_BACKOFF, OPT_LEASE, OPT_CLASSIFY_TIMEOUT, OPT_SERVE, OPT_SERVE_TOKEN,
           OPT_CHECK_CONFIG };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"watch", required_argument, NULL, 'w'},
        {"output-dir", required_argument, NULL, 'o'},
        {"catalog", required_argument, NULL, OPT_CATALOG},
        {"settle", required_argument, NULL, 's'},
        {"workers", required_argument, NULL, 'j'},
        {"poll", required_argument, NULL, OPT_POLL},
        {"once", no_argument, NULL, OPT_ONCE},
        {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
        {"retry-backoff", required_argument, NULL, OPT_BACKOFF},
        {"backoff", required_argument, NULL, OPT_BACKOFF},
        {"lease-seconds", required_argument, NULL, OPT_LEASE},
        {"classify-timeout-seconds", required_argument, NULL, OPT_CLASSIFY_TIMEOUT},
        {"classify-timeout", required_argument, NULL, OPT_CLASSIFY_TIMEOUT},
        {"serve", required_argument, NULL, OPT_SERVE},
        {"serve-token-file", required_argument, NULL, OPT_SERVE_TOKEN},
        {"check-config", required_argument, NULL, OPT_CHECK_CONFIG},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(cli, 0, sizeof *cli);
    int opt, rc = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, "c:w:o:s:j:vqhV", options, NULL)) != -1) {
        switch (opt) {
        case 'c': cli->config_path = optarg; break;
        case 'w': rc = add_setting(cli, "watch", optarg); break;
        case 'o': rc = add_setting(cli, "output_dir", optarg); break;
        case OPT_CATALOG: rc = add_setting(cli, "catalog", optarg); break;
        case 's': rc = add_setting(cli, "settle", optarg); break;
        case 'j': rc = add_setting(cli, "workers", optarg); break;
        case OPT_POLL: rc = add_setting(cli, "poll", optarg); break;
        case OPT_MAX_ATTEMPTS: rc = add_setting(cli, "max_attempts", optarg); break;
        case OPT_BACKOFF: rc = add_setting(cli, "retry_backoff", optarg); break;
        case OPT_LEASE: rc = add_setting(cli, "lease_seconds", optarg); break;
        case OPT_CLASSIFY_TIMEOUT: rc = add_setting(cli, "classify_timeout_seconds", optarg); break;
        case OPT_SERVE: rc = add_setting(cli, "serve", optarg); break;
        case OPT_SERVE_TOKEN: rc = add_setting(cli, "serve_token_file", optarg); break;
        case OPT_ONCE: cli->once = true; break;
        case OPT_CHECK_CONFIG: *check_config = optarg; break;
        case 'v': cli->verbosity = 1; break;
        case 'q': cli->verbosity = -1; break;
        case 'h': fputs(usage_text, stdout); return 3;
        case 'V': printf("omsi-watchd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 3;
        default: fputs("Try 'omsi-watchd --help'.\n", stderr); return 2;
        }
    }
    if (rc)
        return 2;
    if (*check_config && (cli->config_path || cli->n_settings || cli->once || optind < argc)) {
        fputs("omsi-watchd: --check-config FILE takes no other settings\n"
              "Try 'omsi-watchd --help'.\n", stderr);
        return 2;
    }
    for (int i = optind; i < argc; i++)
        if (add_setting(cli, "watch", argv[i]))
            return 2;
    return 0;
}

/* --check-config: 0 fine, 1 problems (each on stderr). */
static int check_config(const char *path)
{
    int problems = watchd_check_config(path, stderr);
    if (problems < 0) {
        fprintf(stderr, "omsi-watchd: out of memory\n");
        return 1;
    }
    if (problems > 0) {
        fprintf(stderr, "omsi-watchd: %d problem(s) in %s\n", problems, path);
        return 1;
    }
    printf("%s: ok\n", path);
    return 0;
}

int main(int argc, char **argv)
{
    watchd_invocation cli;
    const char *check_path = NULL;
    int parsed = parse_args(argc, argv, &cli, &check_path);
    if (parsed)
        return parsed == 3 ? 0 : 2;
    if (check_path)
        return check_config(check_path);
    return watchd_daemon_run(&cli);
}
