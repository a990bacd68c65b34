#include "watchd_config.h"
#include "omsi_log.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: omsi-watchd --config FILE [OPTIONS]\n"
    "       omsi-watchd --watch DIR... --output-dir DIR --catalog FILE [OPTIONS]\n"
    "\n"
    "Watch drop folders for mass spectrometry imaging datasets, wait until each\n"
    "is completely written, convert it to OpenMSI HDF5 and record it in the\n"
    "SQLite catalog. Source files are only ever read.\n"
    "\n"
    "A dataset is taken when every companion file is present (.hdr+.t2m+.img,\n"
    ".imzML+.ibd, .mzML, a whole Bruker spot tree) and none of its files changed\n"
    "size or mtime for the settle time. Jobs live in the catalog: a restart\n"
    "resumes them; failures are retried with exponential backoff and quarantined\n"
    "after --max-attempts (see `omsi-catalog query --state quarantined`).\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE       read settings from FILE (key = value lines; keys:\n"
    "                          watch, output_dir, catalog, settle, workers, poll,\n"
    "                          max_attempts, backoff, compression)\n"
    "  -w, --watch DIR         a drop folder, watched recursively (repeatable)\n"
    "  -o, --output-dir DIR    where the .h5 files go\n"
    "  -C, --catalog FILE      the SQLite catalog (default $OMSI_CATALOG)\n"
    "  -s, --settle SECONDS    quiet time before a dataset is taken (default 10)\n"
    "  -j, --workers N         conversions in parallel, one process each (default 1)\n"
    "  -p, --poll SECONDS      rescan every SECONDS instead of inotify (network\n"
    "                          filesystems)\n"
    "      --max-attempts N    failures before quarantine (default 5)\n"
    "      --backoff SECONDS   first retry delay, doubled each time (default 60)\n"
    "      --once              scan, wait for datasets to settle, convert all,\n"
    "                          exit (0 if every job succeeded, 1 otherwise)\n"
    "  -v, --verbose           more log output (repeat for debug)\n"
    "  -q, --quiet             errors only\n"
    "  -h, --help              this text\n"
    "  -V, --version           print the version\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop taking jobs, abandon the one in hand cleanly (no\n"
    "partial output; it is retried at the next start) and exit 0. SIGHUP reloads\n"
    "the config file. Under systemd (Type=notify) it reports READY, STATUS,\n"
    "STOPPING and answers the watchdog. Logs go to stderr with journald priority\n"
    "prefixes.\n"
    "\n"
    "If inotify runs out of watches, raise fs.inotify.max_user_watches (sysctl) or\n"
    "use --poll.\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

void watchd_config_init(watchd_config *c)
{
    memset(c, 0, sizeof *c);
    omsi_path_list_init(&c->watch);
    c->settle = 10;
    c->workers = 1;
    c->max_attempts = 5;
    c->backoff = 60;
    c->compression = 4;
    c->verbosity = OMSI_LOG_NOTICE;
}

void watchd_config_free(watchd_config *c)
{
    omsi_path_list_free(&c->watch);
    free(c->output_dir);
    free(c->catalog);
    free(c->config_file);
    memset(c, 0, sizeof *c);
}

static int set_string(char **field, const char *value, omsi_error *err)
{
    char *copy = strdup(value);
    if (!copy)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    free(*field);
    *field = copy;
    return 0;
}

static int set_number(double *field, const char *value, double min, double max, const char *where,
                      const char *key, omsi_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end || errno || !isfinite(v) || v < min || v > max)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: %s must be a number from %g to %g, not '%s'",
                              where, key, min, max, value);
    *field = v;
    return 0;
}

static int apply(watchd_config *c, const char *key, const char *value, const char *where,
                 omsi_error *err)
{
    double number;
    int rc;
    if (strcmp(key, "watch") == 0)
        return omsi_path_list_add(&c->watch, value) ? omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory") : 0;
    if (strcmp(key, "output_dir") == 0)
        return set_string(&c->output_dir, value, err);
    if (strcmp(key, "catalog") == 0)
        return set_string(&c->catalog, value, err);
    if (strcmp(key, "settle") == 0)
        return set_number(&c->settle, value, 0, 86400, where, key, err);
    if (strcmp(key, "poll") == 0)
        return set_number(&c->poll, value, 0, 86400, where, key, err);
    if (strcmp(key, "backoff") == 0)
        return set_number(&c->backoff, value, 0, 86400 * 7, where, key, err);
    if (strcmp(key, "workers") == 0) {
        if (!(rc = set_number(&number, value, 1, 64, where, key, err)))
            c->workers = (int)number;
        return rc;
    }
    if (strcmp(key, "max_attempts") == 0) {
        if (!(rc = set_number(&number, value, 1, 1000, where, key, err)))
            c->max_attempts = (int)number;
        return rc;
    }
    if (strcmp(key, "compression") == 0) {
        if (!(rc = set_number(&number, value, -1, 9, where, key, err)))
            c->compression = (int)number;
        return rc;
    }
    return omsi_error_set(err, OMSI_ERR_USAGE, "%s: unknown key '%s'", where, key);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int watchd_config_line(watchd_config *c, const char *line, const char *path, int line_no,
                       omsi_error *err)
{
    char buf[4096];
    if (strlen(line) >= sizeof buf)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s:%d: line too long", path, line_no);
    snprintf(buf, sizeof buf, "%s", line);
    char *hash = strchr(buf, '#');
    if (hash)
        *hash = '\0';
    char *text = trim(buf);
    if (!*text)
        return 0;
    char *eq = strchr(text, '=');
    if (!eq)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s:%d: expected 'key = value'", path, line_no);
    *eq = '\0';
    char *key = trim(text), *value = trim(eq + 1);
    if (!*key || !*value)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s:%d: expected 'key = value'", path, line_no);
    char where[4200];
    snprintf(where, sizeof where, "%s:%d", path, line_no);
    return apply(c, key, value, where, err);
}

int watchd_config_load(watchd_config *c, const char *path, omsi_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "config %s", path);
    char *line = NULL;
    size_t cap = 0;
    int rc = 0, line_no = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0)
        rc = watchd_config_line(c, line, path, ++line_no, err);
    free(line);
    fclose(f);
    if (!rc && c->config_file != path)
        rc = set_string(&c->config_file, path, err);
    return rc;
}

int watchd_config_validate(const watchd_config *c, omsi_error *err)
{
    if (c->watch.count == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "no drop folder to watch (--watch DIR or 'watch = DIR')");
    if (!c->output_dir)
        return omsi_error_set(err, OMSI_ERR_USAGE, "no output folder (--output-dir DIR or 'output_dir = DIR')");
    for (size_t i = 0; i < c->watch.count; i++)
        if (!omsi_is_directory(c->watch.paths[i]))
            return omsi_error_set(err, OMSI_ERR_USAGE, "drop folder %s is not a directory", c->watch.paths[i]);
    return 0;
}

int watchd_config_canonicalize(watchd_config *c, omsi_error *err)
{
    for (size_t i = 0; i < c->watch.count; i++) {
        char *real = realpath(c->watch.paths[i], NULL);
        if (!real)
            return omsi_error_errno(err, OMSI_ERR_USAGE, errno, "drop folder %s", c->watch.paths[i]);
        free(c->watch.paths[i]);
        c->watch.paths[i] = real;
    }
    return 0;
}

int watchd_config_from_args(watchd_config *c, int argc, char **argv, int *exit_code)
{
    enum { OPT_ONCE = 256, OPT_MAX_ATTEMPTS, OPT_BACKOFF };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},     {"watch", required_argument, NULL, 'w'},
        {"output-dir", required_argument, NULL, 'o'}, {"catalog", required_argument, NULL, 'C'},
        {"settle", required_argument, NULL, 's'},     {"workers", required_argument, NULL, 'j'},
        {"poll", required_argument, NULL, 'p'},       {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
        {"backoff", required_argument, NULL, OPT_BACKOFF}, {"once", no_argument, NULL, OPT_ONCE},
        {"verbose", no_argument, NULL, 'v'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},             {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *exit_code = -1;
    /* Pass 1: the config file, so that the other options override it. */
    omsi_error err = {0};
    const char *config = NULL;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc)
            config = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            config = argv[i] + 9;
    }
    if (config && watchd_config_load(c, config, &err)) {
        fprintf(stderr, "omsi-watchd: %s\n", err.message);
        *exit_code = err.status == OMSI_ERR_USAGE ? 2 : 1;
        return -1;
    }
    omsi_path_list cli_watch;
    omsi_path_list_init(&cli_watch);
    int opt, rc = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, "c:w:o:C:s:j:p:vqhV", options, NULL)) != -1) {
        const char *key = NULL;
        switch (opt) {
        case 'c': break;
        case 'w': rc = omsi_path_list_add(&cli_watch, optarg); break;
        case 'o': key = "output_dir"; break;
        case 'C': key = "catalog"; break;
        case 's': key = "settle"; break;
        case 'j': key = "workers"; break;
        case 'p': key = "poll"; break;
        case OPT_MAX_ATTEMPTS: key = "max_attempts"; break;
        case OPT_BACKOFF: key = "backoff"; break;
        case OPT_ONCE: c->once = true; break;
        case 'v': c->verbosity++; break;
        case 'q': c->verbosity = OMSI_LOG_ERR; break;
        case 'h': fputs(usage_text, stdout); *exit_code = 0; rc = -1; break;
        case 'V': printf("omsi-watchd %s\n", PACKAGE_VERSION); *exit_code = 0; rc = -1; break;
        default: fputs(usage_text, stderr); *exit_code = 2; rc = -1; break;
        }
        if (key && (rc = apply(c, key, optarg, "command line", &err))) {
            fprintf(stderr, "omsi-watchd: %s\n", err.message);
            *exit_code = 2;
        }
    }
    if (rc == 0 && optind < argc) {
        fprintf(stderr, "omsi-watchd: unexpected argument '%s'\n", argv[optind]);
        *exit_code = 2;
        rc = -1;
    }
    if (rc == 0 && cli_watch.count) {
        omsi_path_list_free(&c->watch);
        c->watch = cli_watch;
        omsi_path_list_init(&cli_watch);
    }
    omsi_path_list_free(&cli_watch);
    if (rc == 0 && (watchd_config_validate(c, &err) || watchd_config_canonicalize(c, &err))) {
        fprintf(stderr, "omsi-watchd: %s\n\nTry omsi-watchd --help.\n", err.message);
        *exit_code = 2;
        rc = -1;
    }
    return rc;
}
