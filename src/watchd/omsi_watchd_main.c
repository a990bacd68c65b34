/* omsi-watchd: watches drop folders, waits until each dataset is completely
 * written (the settle rule), queues it in the catalog and lets a pool of
 * worker processes convert and record it. */
#include "catalog.h"
#include "omsi_log.h"
#include "omsi_util.h"
#include "watchd_config.h"
#include "watchd_inotify.h"
#include "watchd_notify.h"
#include "watchd_scan.h"
#include "watchd_settle.h"
#include "watchd_workers.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Rescan interval when inotify runs out of watches. */
#define WATCHD_FALLBACK_POLL 30.0

static const char usage_text[] =
    "Usage: omsi-watchd --config FILE [options]\n"
    "       omsi-watchd --watch DIR... --output-dir DIR --catalog FILE [options]\n"
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
    "      --catalog FILE      the SQLite catalog (default: $OMSI_CATALOG, else\n"
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
    "Exit status: 0 ok, 1 failure (a job failed in --once mode, or a fatal\n"
    "error), 2 usage error.\n";

/* Settings from the command line, replayed over the config file on SIGHUP. */
typedef struct cli_setting {
    const char *key;
    const char *value;
} cli_setting;

typedef struct cli_args {
    const char *config_path;
    cli_setting settings[64];
    size_t n_settings;
    bool once;
    int verbosity; /* -1 quiet, 0 default, 1 verbose */
} cli_args;

typedef struct daemon_state {
    cli_args cli;
    watchd_config cfg;
    omsi_logger log;
    omsi_path_list roots;     /* canonical drop folders */
    char *output_dir;         /* canonical */
    char *catalog_path;
    omsi_catalog *cat;
    watchd_table table;
    watchd_watcher watcher;
    bool use_inotify;
    omsi_path_list dirty;
    bool full_rescan;
    double last_full_scan;
    watchd_pool pool;
    watchd_worker_setup setup;
    watchd_notifier notifier;
    int sigfd;
    bool stopping;
    uint64_t queued;
    unsigned pool_workers;
} daemon_state;

static double real_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int add_setting(cli_args *cli, const char *key, const char *value)
{
    if (cli->n_settings == sizeof cli->settings / sizeof cli->settings[0]) {
        fprintf(stderr, "omsi-watchd: too many options\n");
        return -1;
    }
    cli->settings[cli->n_settings++] = (cli_setting){key, value};
    return 0;
}

/* 0 ok, 2 usage error, 3 = --help/--version printed (exit 0). */
static int parse_args(int argc, char **argv, cli_args *cli)
{
    enum { OPT_CATALOG = 256, OPT_POLL, OPT_ONCE, OPT_MAX_ATTEMPTS, OPT_BACKOFF };
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
        case OPT_ONCE: cli->once = true; break;
        case 'v': cli->verbosity = 1; break;
        case 'q': cli->verbosity = -1; break;
        case 'h': fputs(usage_text, stdout); return 3;
        case 'V': printf("omsi-watchd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 3;
        default: fputs("Try 'omsi-watchd --help'.\n", stderr); return 2;
        }
    }
    if (rc)
        return 2;
    for (int i = optind; i < argc; i++)
        if (add_setting(cli, "watch", argv[i]))
            return 2;
    return 0;
}

/* Defaults, then the config file, then the command line. */
static int build_config(const cli_args *cli, watchd_config *cfg, omsi_error *err)
{
    watchd_config_init(cfg);
    int rc = 0;
    if (cli->config_path)
        rc = watchd_config_load(cfg, cli->config_path, err);
    bool cli_watch = false;
    for (size_t i = 0; rc == 0 && i < cli->n_settings; i++) {
        const cli_setting *s = &cli->settings[i];
        /* --watch on the command line replaces the file's list. */
        if (strcmp(s->key, "watch") == 0 && !cli_watch) {
            omsi_path_list_free(&cfg->watch);
            omsi_path_list_init(&cfg->watch);
            cli_watch = true;
        }
        char origin[64];
        snprintf(origin, sizeof origin, "--%s", s->key);
        for (char *p = origin; *p; p++)
            if (*p == '_')
                *p = '-';
        rc = watchd_config_set(cfg, s->key, s->value, origin, err);
    }
    if (rc == 0) {
        if (cli->verbosity > 0)
            cfg->log_level = OMSI_LOG_DEBUG;
        else if (cli->verbosity < 0)
            cfg->log_level = OMSI_LOG_WARNING;
        rc = watchd_config_validate(cfg, err);
    }
    if (rc) {
        if (err->status != OMSI_ERR_NOMEM && err->status != OMSI_ERR_IO)
            err->status = OMSI_ERR_USAGE;
        watchd_config_free(cfg);
    }
    return rc;
}

/* mkdir -p: the output folder is created when missing (not the drop folders:
 * a mistyped drop folder must be an error, not an empty watch). */
static int make_dirs(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int rc = 0;
    for (char *p = copy + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            rc = -1;
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(copy);
    return rc;
}

/* Canonical, existing folders for every drop folder and the output folder. */
static int resolve_paths(const watchd_config *cfg, omsi_path_list *roots, char **output_dir,
                         omsi_error *err)
{
    omsi_path_list_init(roots);
    *output_dir = NULL;
    for (size_t i = 0; i < cfg->watch.count; i++) {
        char *real = realpath(cfg->watch.paths[i], NULL);
        if (!real || !omsi_is_directory(real)) {
            int e = real ? ENOTDIR : errno;
            free(real);
            omsi_path_list_free(roots);
            return omsi_error_errno(err, OMSI_ERR_IO, e, "drop folder %s", cfg->watch.paths[i]);
        }
        int rc = watchd_dirty_add(roots, real);
        free(real);
        if (rc) {
            omsi_path_list_free(roots);
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        }
    }
    if (!omsi_is_directory(cfg->output_dir))
        make_dirs(cfg->output_dir); /* an error shows in realpath below */
    *output_dir = realpath(cfg->output_dir, NULL);
    if (!*output_dir || !omsi_is_directory(*output_dir)) {
        int e = *output_dir ? ENOTDIR : errno;
        free(*output_dir);
        *output_dir = NULL;
        omsi_path_list_free(roots);
        return omsi_error_errno(err, OMSI_ERR_IO, e, "output folder %s", cfg->output_dir);
    }
    return 0;
}

/* A dataset under the output folder would be ingested again and again. */
static bool output_inside_drop(const omsi_path_list *roots, const char *output_dir)
{
    for (size_t i = 0; i < roots->count; i++) {
        size_t n = strlen(roots->paths[i]);
        if (strncmp(output_dir, roots->paths[i], n) == 0 &&
            (output_dir[n] == '/' || output_dir[n] == '\0'))
            return true;
    }
    return false;
}

/* Temporary files of conversions killed hard (kill -9, power loss):
 * ".<name>.h5.partial-XXXXXX" in the output folder. */
static void remove_stale_partials(const char *output_dir, const omsi_logger *log)
{
    DIR *d = opendir(output_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] != '.' || !strstr(e->d_name, ".h5.partial-"))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            omsi_log(log, OMSI_LOG_NOTICE, "%s/%s: removed the partial file of an interrupted conversion",
                     output_dir, e->d_name);
    }
    closedir(d);
}

static void setup_workers(daemon_state *s)
{
    s->setup = (watchd_worker_setup){
        .catalog_path = s->catalog_path,
        .output_dir = s->output_dir,
        .max_attempts = s->cfg.max_attempts,
        .retry_backoff = s->cfg.retry_backoff,
        .log = &s->log,
    };
}

/* inotify failed (out of watches): keep going by rescanning periodically. */
static void fall_back_to_polling(daemon_state *s, const omsi_error *err)
{
    if (s->cfg.poll_seconds <= 0)
        s->cfg.poll_seconds = WATCHD_FALLBACK_POLL;
    omsi_log(&s->log, OMSI_LOG_ERR, "%s", err->message);
    omsi_log(&s->log, OMSI_LOG_WARNING, "inotify disabled: rescanning the drop folders every %g s instead",
             s->cfg.poll_seconds);
    watchd_watcher_close(&s->watcher);
    s->use_inotify = false;
    s->full_rescan = true;
}

static int start_watching(daemon_state *s, omsi_error *err)
{
    s->use_inotify = s->cfg.poll_seconds <= 0 && !s->cli.once;
    if (!s->use_inotify)
        return 0;
    int rc = watchd_watcher_open(&s->watcher, &s->log, err);
    for (size_t i = 0; rc == 0 && i < s->roots.count; i++)
        rc = watchd_watcher_add_tree(&s->watcher, s->roots.paths[i], NULL, err);
    if (rc == 0)
        omsi_log(&s->log, OMSI_LOG_INFO, "inotify: %zu folder(s) watched", s->watcher.count);
    return rc;
}

/* The folder whose scan sees a change in dir: inside a Bruker spot tree,
 * the folder holding the run. */
static int mark_dirty(daemon_state *s, const char *dir)
{
    char *parent = watchd_group_bruker_parent(dir);
    int rc = watchd_dirty_add(&s->dirty, parent ? parent : dir);
    /* The run folder itself (holding spot folders) is seen by its parent. */
    if (rc == 0 && !parent && watchd_is_bruker_run(dir)) {
        char *up = omsi_path_dirname(dir);
        if (up)
            rc = watchd_dirty_add(&s->dirty, up);
        free(up);
    }
    free(parent);
    return rc;
}

static bool inside_roots(const daemon_state *s, const char *dir)
{
    return output_inside_drop(&s->roots, dir);
}

static int full_scan(daemon_state *s, double now, omsi_error *err)
{
    for (size_t i = 0; i < s->roots.count; i++) {
        int rc = watchd_scan_dir(&s->table, s->roots.paths[i], true, now, &s->log, err);
        if (rc)
            return rc;
    }
    /* Candidates of folders that are gone or no longer watched. */
    size_t kept = 0;
    for (size_t i = 0; i < s->table.count; i++) {
        watchd_candidate *c = &s->table.items[i];
        if (!inside_roots(s, c->dir) || !omsi_is_directory(c->dir)) {
            free(c->key);
            free(c->dir);
            free(c->path);
            continue;
        }
        s->table.items[kept++] = *c;
    }
    s->table.count = kept;
    s->last_full_scan = now;
    return 0;
}

/* Datasets already quiet for the settle time when first seen (old files at
 * start-up) need not wait again: changed_at goes back to their mtime. */
static void backdate_new(daemon_state *s, double now, double real_now)
{
    for (size_t i = 0; i < s->table.count; i++) {
        watchd_candidate *c = &s->table.items[i];
        if (c->state != WATCHD_WAITING || c->changed_at != now || c->sig.files == 0)
            continue;
        double age = real_now - (double)c->sig.mtime_ns / 1e9;
        if (age > 0)
            c->changed_at = now - age;
    }
}

static int scan_dirty(daemon_state *s, double now, omsi_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->dirty.count; i++)
        if (inside_roots(s, s->dirty.paths[i]))
            rc = watchd_scan_dir(&s->table, s->dirty.paths[i], false, now, &s->log, err);
    omsi_path_list_free(&s->dirty);
    omsi_path_list_init(&s->dirty);
    return rc;
}

/* Settled candidates: look once more (a change may have gone unnoticed in
 * --poll and --once modes), then ask the reader and queue the complete ones. */
static int decide(daemon_state *s, double now, omsi_error *err)
{
    omsi_path_list recheck;
    omsi_path_list_init(&recheck);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->table.count; i++)
        if (watchd_settled(&s->table.items[i], now, s->cfg.settle_seconds))
            rc = watchd_dirty_add(&recheck, s->table.items[i].dir);
    for (size_t i = 0; rc == 0 && i < recheck.count; i++)
        rc = watchd_scan_dir(&s->table, recheck.paths[i], false, now, &s->log, err);
    omsi_path_list_free(&recheck);
    if (rc)
        return rc;
    bool queued_any = false;
    for (size_t i = 0; i < s->table.count; i++) {
        watchd_candidate *c = &s->table.items[i];
        if (!watchd_settled(c, now, s->cfg.settle_seconds))
            continue;
        omsi_error why = {0};
        omsi_validity v = watchd_probe(c, &why);
        if (!watchd_apply_validity(c, v)) {
            omsi_log(&s->log, v == OMSI_INCOMPLETE ? OMSI_LOG_NOTICE : OMSI_LOG_INFO,
                     "%s: %s, waiting for a change: %s", c->path ? c->path : c->key,
                     v == OMSI_INCOMPLETE ? "incomplete" : "not a dataset", why.message);
            continue;
        }
        int64_t job_id = 0;
        omsi_error qerr = {0};
        /* The parent holds the catalog open only while it enqueues: an open
         * SQLite connection must never be inherited by a forked worker. */
        if ((!s->cat &&
             omsi_catalog_open(s->catalog_path, OMSI_CATALOG_READ_WRITE, &s->cat, &qerr)) ||
            omsi_catalog_job_enqueue(s->cat, c->path, watchd_kind_format(c->kind), &job_id, &qerr)) {
            /* Try again on the next round. */
            omsi_log(&s->log, OMSI_LOG_ERR, "%s: %s", c->path, qerr.message);
            c->state = WATCHD_WAITING;
            continue;
        }
        s->queued++;
        queued_any = true;
        omsi_log(&s->log, OMSI_LOG_INFO, "%s: settled (%llu files, %llu bytes), job %lld%s",
                 c->path, (unsigned long long)c->sig.files, (unsigned long long)c->sig.bytes,
                 (long long)job_id, v == OMSI_BROKEN ? " (the reader says it is broken)" : "");
    }
    omsi_catalog_close(s->cat);
    s->cat = NULL;
    if (queued_any)
        watchd_pool_wake(&s->pool);
    return 0;
}

static void report_status(daemon_state *s)
{
    static const char *const mode[] = {"inotify", "polling"};
    watchd_notify_status("%zu folder(s) (%s), %zu dataset(s) settling, %llu queued since start",
                         s->roots.count, mode[!s->use_inotify], watchd_table_waiting(&s->table),
                         (unsigned long long)s->queued);
}

static void reload_failed(daemon_state *s, const omsi_error *err)
{
    omsi_log(&s->log, OMSI_LOG_ERR, "reload: %s; keeping the running configuration", err->message);
    watchd_notify_ready("running");
}

static void reload(daemon_state *s)
{
    watchd_notify_reloading();
    omsi_error err = {0};
    watchd_config fresh;
    if (build_config(&s->cli, &fresh, &err)) {
        reload_failed(s, &err);
        return;
    }
    omsi_path_list roots;
    char *output_dir = NULL;
    if (resolve_paths(&fresh, &roots, &output_dir, &err)) {
        watchd_config_free(&fresh);
        reload_failed(s, &err);
        return;
    }
    if (output_inside_drop(&roots, output_dir)) {
        omsi_error_set(&err, OMSI_ERR_USAGE, "output folder %s is inside a drop folder", output_dir);
        free(output_dir);
        omsi_path_list_free(&roots);
        watchd_config_free(&fresh);
        reload_failed(s, &err);
        return;
    }
    const char *fresh_catalog = omsi_catalog_default_path(fresh.catalog);
    if (strcmp(fresh_catalog, s->catalog_path) != 0)
        omsi_log(&s->log, OMSI_LOG_WARNING, "reload: a new catalog (%s) needs a restart; still using %s",
                 fresh_catalog, s->catalog_path);
    bool restart_pool = strcmp(output_dir, s->output_dir) != 0 || fresh.workers != s->pool_workers ||
                        fresh.max_attempts != s->cfg.max_attempts ||
                        fresh.retry_backoff != s->cfg.retry_backoff;
    bool new_roots = roots.count != s->roots.count;
    for (size_t i = 0; !new_roots && i < roots.count; i++)
        new_roots = strcmp(roots.paths[i], s->roots.paths[i]) != 0;
    bool was_polling = !s->use_inotify;

    watchd_config_free(&s->cfg);
    s->cfg = fresh;
    s->log.max_priority = s->cfg.log_level;
    omsi_path_list_free(&s->roots);
    s->roots = roots;
    if (restart_pool) {
        omsi_log(&s->log, OMSI_LOG_NOTICE, "reload: restarting the workers");
        watchd_pool_stop(&s->pool);
        watchd_pool_free(&s->pool);
    }
    free(s->output_dir);
    s->output_dir = output_dir;
    setup_workers(s);
    if (restart_pool) {
        if (watchd_pool_start(&s->pool, s->cfg.workers, &s->setup, &err))
            omsi_log(&s->log, OMSI_LOG_ERR, "reload: %s", err.message);
        s->pool_workers = s->cfg.workers;
    }
    if (new_roots || was_polling != (s->cfg.poll_seconds > 0)) {
        if (s->use_inotify)
            watchd_watcher_close(&s->watcher);
        if (start_watching(s, &err))
            fall_back_to_polling(s, &err);
        s->full_rescan = true;
    }
    omsi_log(&s->log, OMSI_LOG_NOTICE, "configuration reloaded: %zu drop folder(s), settle %g s, %u worker(s)",
             s->roots.count, s->cfg.settle_seconds, s->cfg.workers);
    watchd_notify_ready("running");
}

/* Returns false when the daemon must stop. */
static bool handle_signals(daemon_state *s)
{
    struct signalfd_siginfo si;
    while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            omsi_log(&s->log, OMSI_LOG_NOTICE, "signal %s: stopping", strsignal((int)si.ssi_signo));
            s->stopping = true;
            break;
        case SIGHUP:
            omsi_log(&s->log, OMSI_LOG_NOTICE, "SIGHUP: reloading the configuration");
            reload(s);
            break;
        case SIGCHLD:
            break; /* reaped below */
        }
    }
    return !s->stopping;
}

static int timeout_ms(daemon_state *s, double now)
{
    double wait = 5.0;
    if (s->full_rescan || s->dirty.count)
        return 0;
    for (size_t i = 0; i < s->table.count; i++) {
        const watchd_candidate *c = &s->table.items[i];
        if (c->state == WATCHD_WAITING) {
            double due = c->changed_at + s->cfg.settle_seconds - now;
            if (due < wait)
                wait = due;
        }
    }
    if (!s->use_inotify) {
        double poll_every = s->cli.once ? 1.0 : s->cfg.poll_seconds;
        double due = s->last_full_scan + poll_every - now;
        if (due < wait)
            wait = due;
    }
    double wd = watchd_notify_next(&s->notifier, now);
    if (wd < wait)
        wait = wd;
    if (wait < 0.05)
        wait = 0.05;
    return (int)(wait * 1000);
}

static int run(daemon_state *s)
{
    omsi_error err = {0};
    double now = omsi_monotonic_seconds();
    if (start_watching(s, &err)) {
        if (err.status == OMSI_ERR_NOMEM) {
            omsi_log(&s->log, OMSI_LOG_ERR, "%s", err.message);
            return 1;
        }
        fall_back_to_polling(s, &err);
    }
    if (full_scan(s, now, &err)) {
        omsi_log(&s->log, OMSI_LOG_ERR, "%s", err.message);
        return 1;
    }
    backdate_new(s, now, real_seconds());
    omsi_log(&s->log, OMSI_LOG_NOTICE, "watching %zu drop folder(s)%s, %zu dataset(s) found, settle %g s, %u worker(s)",
             s->roots.count, s->cli.once ? " (one pass)" : s->use_inotify ? " with inotify" : " by polling", s->table.count,
             s->cfg.settle_seconds, s->cfg.workers);
    watchd_notify_ready("running");
    int status = 0;
    for (;;) {
        now = omsi_monotonic_seconds();
        struct pollfd fds[2] = {{.fd = s->sigfd, .events = POLLIN},
                                {.fd = s->use_inotify ? s->watcher.fd : -1, .events = POLLIN}};
        int n = poll(fds, 2, timeout_ms(s, now));
        if (n < 0 && errno != EINTR) {
            omsi_log(&s->log, OMSI_LOG_ERR, "poll: %s", strerror(errno));
            status = 1;
            break;
        }
        now = omsi_monotonic_seconds();
        if (!handle_signals(s))
            break;
        watchd_pool_reap(&s->pool, &s->setup, !s->cli.once, now);
        if (s->use_inotify) {
            omsi_path_list changed;
            omsi_path_list_init(&changed);
            bool overflow = false;
            if (watchd_watcher_read(&s->watcher, &changed, &overflow, &err)) {
                if (err.status == OMSI_ERR_NOMEM) {
                    omsi_log(&s->log, OMSI_LOG_ERR, "%s", err.message);
                    omsi_path_list_free(&changed);
                    status = 1;
                    break;
                }
                fall_back_to_polling(s, &err);
            }
            if (overflow) {
                omsi_log(&s->log, OMSI_LOG_WARNING, "inotify queue overflow: rescanning everything");
                s->full_rescan = true;
            }
            for (size_t i = 0; i < changed.count; i++)
                mark_dirty(s, changed.paths[i]);
            omsi_path_list_free(&changed);
        }
        int rc;
        if (s->full_rescan || (!s->use_inotify &&
                               now - s->last_full_scan >= (s->cli.once ? 1.0 : s->cfg.poll_seconds))) {
            s->full_rescan = false;
            omsi_path_list_free(&s->dirty);
            omsi_path_list_init(&s->dirty);
            rc = full_scan(s, now, &err);
        } else {
            rc = scan_dirty(s, now, &err);
        }
        if (rc == 0)
            rc = decide(s, now, &err);
        if (rc) {
            omsi_log(&s->log, OMSI_LOG_ERR, "%s", err.message);
            status = 1;
            break;
        }
        watchd_notify_watchdog(&s->notifier, now);
        report_status(s);
        if (s->cli.once && watchd_table_waiting(&s->table) == 0) {
            omsi_log(&s->log, OMSI_LOG_INFO, "--once: every dataset decided; finishing the queue");
            watchd_pool_drain(&s->pool);
            watchd_pool_wait(&s->pool);
            for (size_t i = 0; i < s->table.count; i++)
                if (s->table.items[i].state == WATCHD_INCOMPLETE)
                    omsi_log(&s->log, OMSI_LOG_WARNING, "%s: left incomplete",
                             s->table.items[i].path ? s->table.items[i].path : s->table.items[i].key);
            if (s->pool.failures) {
                omsi_log(&s->log, OMSI_LOG_ERR,
                         "%u worker(s) reported failed jobs; see `omsi-catalog query --state failed`",
                         s->pool.failures);
                status = 1;
            }
            return status;
        }
    }
    watchd_notify_stopping();
    omsi_log(&s->log, OMSI_LOG_NOTICE, "stopping: waiting for the workers");
    watchd_pool_stop(&s->pool);
    return status;
}

int main(int argc, char **argv)
{
    daemon_state s;
    memset(&s, 0, sizeof s);
    s.sigfd = -1;
    int parsed = parse_args(argc, argv, &s.cli);
    if (parsed)
        return parsed == 3 ? 0 : 2;
    omsi_error err = {0};
    s.log = omsi_logger_make("omsi-watchd", OMSI_LOG_INFO);
    if (build_config(&s.cli, &s.cfg, &err)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "%s", err.message);
        if (err.status == OMSI_ERR_USAGE)
            fputs("Try 'omsi-watchd --help'.\n", stderr);
        return omsi_exit_code(err.status);
    }
    s.log.max_priority = s.cfg.log_level;
    int status = 1;
    if (resolve_paths(&s.cfg, &s.roots, &s.output_dir, &err)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "%s", err.message);
        watchd_config_free(&s.cfg);
        return 1;
    }
    if (output_inside_drop(&s.roots, s.output_dir)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "output folder %s is inside a drop folder: its files would be taken as new datasets",
                 s.output_dir);
        status = 2;
        goto done;
    }
    s.catalog_path = strdup(omsi_catalog_default_path(s.cfg.catalog));
    if (!s.catalog_path)
        goto done;
    if (omsi_catalog_open(s.catalog_path, OMSI_CATALOG_READ_WRITE, &s.cat, &err)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "%s", err.message);
        goto done;
    }
    int requeued = 0;
    if (omsi_catalog_job_requeue_running(s.cat, &requeued, &err)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "%s", err.message);
        goto done;
    }
    if (requeued)
        omsi_log(&s.log, OMSI_LOG_NOTICE, "%d interrupted job(s) back to pending", requeued);
    omsi_catalog_close(s.cat); /* never open across a fork (see decide) */
    s.cat = NULL;
    remove_stale_partials(s.output_dir, &s.log);

    /* Signals arrive through a signalfd; workers restore them after fork. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s.sigfd < 0) {
        omsi_log(&s.log, OMSI_LOG_ERR, "signalfd: %s", strerror(errno));
        goto done;
    }
    watchd_table_init(&s.table);
    omsi_path_list_init(&s.dirty);
    s.watcher.fd = -1;
    watchd_notify_init(&s.notifier);
    setup_workers(&s);
    if (watchd_pool_start(&s.pool, s.cfg.workers, &s.setup, &err)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "%s", err.message);
        goto done;
    }
    s.pool_workers = s.cfg.workers;
    status = run(&s);
    watchd_pool_free(&s.pool);
done:
    if (s.use_inotify)
        watchd_watcher_close(&s.watcher);
    if (s.sigfd >= 0)
        close(s.sigfd);
    watchd_table_free(&s.table);
    omsi_path_list_free(&s.dirty);
    omsi_catalog_close(s.cat);
    omsi_path_list_free(&s.roots);
    free(s.output_dir);
    free(s.catalog_path);
    watchd_config_free(&s.cfg);
    return status;
}
