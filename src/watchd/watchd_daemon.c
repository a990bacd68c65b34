/* omsi-watchd start-up, SIGHUP reload and shut-down (watchd_daemon.h). */
#include "watchd/watchd_daemon.h"
#include "watchd/watchd_partials.h"
#include "serve/serve_token.h"

#include "base/omsi_proc.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

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
bool watchd_path_inside(const omsi_path_list *roots, const char *output_dir)
{
    for (size_t i = 0; i < roots->count; i++) {
        size_t n = strlen(roots->paths[i]);
        if (strncmp(output_dir, roots->paths[i], n) == 0 &&
            (output_dir[n] == '/' || output_dir[n] == '\0'))
            return true;
    }
    return false;
}

/* Workers of a daemon killed alone (kill -9 of the main process) live on
 * for a while: PR_SET_PDEATHSIG sends them SIGTERM and they cancel, but
 * until they exit their jobs and partial files are theirs. Waits for every
 * recorded owner still alive (same pid and start time), then SIGKILLs the
 * ones still there after WATCHD_OWNER_WAIT seconds. */
static int wait_for_owners(omsi_catalog *cat, const omsi_logger *log, omsi_error *err)
{
    omsi_job_owner *owners = NULL;
    size_t count = 0;
    int rc = omsi_catalog_job_running_owners(cat, &owners, &count, err);
    if (rc)
        return rc;
    double until = omsi_monotonic_seconds() + WATCHD_OWNER_WAIT;
    bool said = false, killed = false;
    for (;;) {
        bool late = omsi_monotonic_seconds() >= until;
        size_t alive = 0;
        for (size_t i = 0; i < count; i++) {
            if (owners[i].pid == getpid() || !omsi_proc_alive(owners[i].pid, owners[i].start))
                continue;
            alive++;
            if (late && !killed) {
                omsi_log(log, OMSI_LOG_WARNING,
                         "job %lld: its worker (pid %ld) still runs after %d s; killing it",
                         (long long)owners[i].job_id, (long)owners[i].pid, WATCHD_OWNER_WAIT);
                kill(owners[i].pid, SIGKILL);
            }
        }
        if (alive == 0)
            break;
        killed = late;
        if (!said)
            omsi_log(log, OMSI_LOG_NOTICE, "waiting for %zu worker(s) of a previous daemon to stop",
                     alive);
        said = true;
        usleep(100 * 1000);
    }
    free(owners);
    return 0;
}

static void hold_server(void *server) { omsi_serve_hold(server); }
static void release_server(void *server) { omsi_serve_release(server); }

static void setup_workers(watchd_daemon *s)
{
    s->setup = (watchd_worker_setup){
        .catalog_path = s->catalog_path,
        .output_dir = s->output_dir,
        .max_attempts = s->cfg.max_attempts,
        .retry_backoff = s->cfg.retry_backoff,
        .lease_seconds = s->cfg.lease_seconds,
        .calibration = s->cfg.calibration,
        .strict_checksums = s->cfg.strict_checksums,
        .log = &s->log,
    };
    if (s->server) {
        s->setup.guard = (watchd_fork_guard){hold_server, release_server, s->server};
        s->classify.guard = s->setup.guard;
    }
}

/* `serve = ADDR:PORT`: libmicrohttpd's own threads answer; the main loop
 * never waits on them (only each fork waits for the requests in hand). */
static int start_server(watchd_daemon *s, omsi_error *err)
{
    char *token = NULL;
    if (s->cfg.serve_token_file && serve_token_read(s->cfg.serve_token_file, &token, err))
        return err->status;
    omsi_serve_config cfg = {.listen = s->cfg.serve, .catalog_path = s->catalog_path, .token = token,
                             .forking = true, .log = &s->log};
    int rc = omsi_serve_start(&cfg, &s->server, err);
    free(token);
    if (rc)
        return rc;
    omsi_log(&s->log, OMSI_LOG_NOTICE, "serving the catalog on http://%s/%s", omsi_serve_address(s->server),
             s->cfg.serve_token_file ? " (bearer token required)" : "");
    return 0;
}

void watchd_daemon_fall_back_to_polling(watchd_daemon *s, const omsi_error *err)
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

int watchd_daemon_start_watching(watchd_daemon *s, omsi_error *err)
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

static void reload_failed(watchd_daemon *s, const omsi_error *err)
{
    omsi_log(&s->log, OMSI_LOG_ERR, "reload: %s; keeping the running configuration", err->message);
    watchd_notify_ready(&s->notifier, "running");
}

void watchd_daemon_reload(watchd_daemon *s)
{
    watchd_notify_reloading(&s->notifier);
    omsi_error err = {0};
    watchd_config fresh;
    if (watchd_config_build(&s->cli, &fresh, &err)) {
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
    if (watchd_path_inside(&roots, output_dir)) {
        omsi_error_set(&err, OMSI_ERR_USAGE, "output folder %s is inside a drop folder", output_dir);
        free(output_dir);
        omsi_path_list_free(&roots);
        watchd_config_free(&fresh);
        reload_failed(s, &err);
        return;
    }
    if ((fresh.serve == NULL) != (s->cfg.serve == NULL) || (fresh.serve && strcmp(fresh.serve, s->cfg.serve) != 0) ||
        (fresh.serve_token_file == NULL) != (s->cfg.serve_token_file == NULL) ||
        (fresh.serve_token_file && strcmp(fresh.serve_token_file, s->cfg.serve_token_file) != 0))
        omsi_log(&s->log, OMSI_LOG_WARNING, "reload: a new serve or serve_token_file needs a restart; the web "
                 "view keeps running as it was started");
    const char *fresh_catalog = omsi_catalog_default_path(fresh.catalog);
    if (strcmp(fresh_catalog, s->catalog_path) != 0)
        omsi_log(&s->log, OMSI_LOG_WARNING, "reload: a new catalog (%s) needs a restart; still using %s",
                 fresh_catalog, s->catalog_path);
    bool restart_pool = strcmp(output_dir, s->output_dir) != 0 || fresh.workers != s->pool_workers ||
                        fresh.max_attempts != s->cfg.max_attempts ||
                        fresh.retry_backoff != s->cfg.retry_backoff || fresh.calibration != s->cfg.calibration ||
                        fresh.strict_checksums != s->cfg.strict_checksums;
    bool new_roots = roots.count != s->roots.count;
    for (size_t i = 0; !new_roots && i < roots.count; i++)
        new_roots = strcmp(roots.paths[i], s->roots.paths[i]) != 0;
    bool was_polling = !s->use_inotify;

    watchd_config_free(&s->cfg);
    s->cfg = fresh;
    s->log.max_priority = s->cfg.log_level;
    s->classify.timeout = s->cfg.classify_timeout; /* for classifications started from now on */
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
        if (watchd_daemon_start_watching(s, &err))
            watchd_daemon_fall_back_to_polling(s, &err);
        s->full_rescan = true;
    }
    omsi_log(&s->log, OMSI_LOG_NOTICE, "configuration reloaded: %zu drop folder(s), settle %g s, %u worker(s)",
             s->roots.count, s->cfg.settle_seconds, s->cfg.workers);
    watchd_notify_ready(&s->notifier, "running");
}

int watchd_daemon_run(const watchd_invocation *cli)
{
    watchd_daemon s;
    memset(&s, 0, sizeof s);
    s.sigfd = -1;
    s.cli = *cli;
    omsi_error err = {0};
    s.log = omsi_logger_make("omsi-watchd", OMSI_LOG_INFO);
    if (watchd_config_build(&s.cli, &s.cfg, &err)) {
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
    if (watchd_path_inside(&s.roots, s.output_dir)) {
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
    if (wait_for_owners(s.cat, &s.log, &err) || omsi_catalog_job_requeue_running(s.cat, &requeued, &err)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "%s", err.message);
        goto done;
    }
    if (requeued)
        omsi_log(&s.log, OMSI_LOG_NOTICE, "%d interrupted job(s) back to pending", requeued);
    omsi_catalog_close(s.cat); /* never open across a fork (see decide) */
    s.cat = NULL;
    watchd_remove_stale_partials(s.output_dir, &s.log);

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
    watchd_classifiers_init(&s.classify, s.cfg.classify_timeout);
    /* After the signal mask (its threads inherit it) and before the first fork. */
    if (s.cfg.serve && !s.cli.once && start_server(&s, &err)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "serve: %s", err.message);
        status = err.status == OMSI_ERR_USAGE ? 2 : 1;
        goto done;
    }
    setup_workers(&s);
    if (watchd_pool_start(&s.pool, s.cfg.workers, &s.setup, &err)) {
        omsi_log(&s.log, OMSI_LOG_ERR, "%s", err.message);
        goto done;
    }
    s.pool_workers = s.cfg.workers;
    status = watchd_loop_run(&s);
    watchd_pool_free(&s.pool);
done:
    omsi_serve_stop(s.server);
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
