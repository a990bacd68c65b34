/* omsi-watchd --check-config (see watchd_check_config.h). */
#include "watchd/watchd_check_config.h"

#include "base/omsi_escape.h"
#include "base/omsi_util.h"
#include "catalog/catalog.h"
#include "serve/serve_addr.h"
#include "serve/serve_token.h"
#include "watchd/watchd_config.h"
#include "watchd/watchd_daemon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct check_report {
    FILE *out;
    const char *path;
    int problems;
} check_report;

static void report_line(void *ctx, const char *message)
{
    check_report *r = ctx;
    char *escaped = omsi_escape_dup(message);
    fprintf(r->out, "%s\n", escaped ? escaped : message);
    free(escaped);
    r->problems++;
}

static void __attribute__((format(printf, 2, 3))) problem(check_report *r, const char *fmt, ...)
{
    char message[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char line[4200];
    snprintf(line, sizeof line, "%s: %s", r->path, message);
    report_line(r, line);
}

/* A folder that must exist and allow `mode` (R_OK or W_OK, plus X_OK to
 * enter it) to whoever runs the check: run it as the service's user. */
static void check_folder(check_report *r, const char *key, const char *dir, int mode)
{
    const char *need = mode & W_OK ? "writable" : "readable";
    if (!omsi_is_directory(dir)) {
        if (access(dir, F_OK) == 0)
            problem(r, "%s: %s is not a folder", key, dir);
        else
            problem(r, "%s: %s: %s", key, dir, strerror(errno));
        return;
    }
    if (access(dir, mode | X_OK) != 0)
        problem(r, "%s: %s is not %s (%s)", key, dir, need, strerror(errno));
}

static void check_catalog(check_report *r, const char *catalog)
{
    if (omsi_catalog_is_uri(catalog))
        return; /* a PostgreSQL database: nothing on this host's disk to check */
    char *dir = omsi_path_dirname(catalog);
    if (!dir) {
        problem(r, "out of memory");
        return;
    }
    check_folder(r, "catalog folder", dir, W_OK);
    if (access(catalog, F_OK) == 0 && access(catalog, R_OK | W_OK) != 0)
        problem(r, "catalog: %s is not writable (%s)", catalog, strerror(errno));
    free(dir);
}

/* serve: the token file readable and valid, a token for a non-loopback
 * address; when all is well, one line saying where the page will be. */
static void check_serve(check_report *r, const watchd_config *cfg)
{
    if (!cfg->serve) {
        if (cfg->serve_token_file)
            problem(r, "serve_token_file is set but serve is not (no web view is started)");
        return;
    }
    serve_addr addr;
    omsi_error err = {0};
    if (serve_addr_parse(cfg->serve, &addr, &err))
        return; /* reported with its line */
    char *token = NULL;
    if (cfg->serve_token_file && serve_token_read(cfg->serve_token_file, &token, &err)) {
        problem(r, "serve_token_file: %s", err.message);
        return;
    }
    free(token);
    if (!addr.loopback && !cfg->serve_token_file) {
        problem(r, "serve = %s is not a loopback address: add 'serve_token_file = FILE'", cfg->serve);
        return;
    }
    fprintf(r->out, "%s: serve: the web view on http://%s/%s\n", r->path, cfg->serve,
            cfg->serve_token_file ? " (bearer token required)" : "");
}

int watchd_check_config(const char *path, FILE *out)
{
    check_report r = {.out = out, .path = path};
    watchd_config cfg;
    watchd_config_init(&cfg);
    char *text = NULL;
    size_t len = 0;
    omsi_error err = {0};
    int result = -1;
    if (omsi_read_small_file(path, 1u << 20, &text, &len, &err)) {
        if (err.status == OMSI_ERR_NOMEM)
            goto done;
        report_line(&r, err.message);
        result = r.problems;
        goto done;
    }
    if (strlen(text) != len)
        problem(&r, "NUL byte in config file");
    else if (watchd_config_parse_each(&cfg, text, path, report_line, &r) < 0)
        goto done;

    if (cfg.watch.count == 0)
        problem(&r, "no drop folder: add 'watch = DIR'");
    for (size_t i = 0; i < cfg.watch.count; i++)
        check_folder(&r, "watch", cfg.watch.paths[i], R_OK);
    if (!cfg.output_dir) {
        problem(&r, "no output folder: add 'output_dir = DIR'");
    } else {
        check_folder(&r, "output_dir", cfg.output_dir, W_OK);
        char *out_real = realpath(cfg.output_dir, NULL);
        for (size_t i = 0; out_real && i < cfg.watch.count; i++) {
            char *watch_real = realpath(cfg.watch.paths[i], NULL);
            omsi_path_list one = {.paths = &watch_real, .count = 1};
            if (watch_real && watchd_path_inside(&one, out_real))
                problem(&r, "output_dir: %s is inside the drop folder %s (its files would be taken as new datasets)",
                        cfg.output_dir, cfg.watch.paths[i]);
            free(watch_real);
        }
        free(out_real);
    }
    check_catalog(&r, omsi_catalog_default_path(cfg.catalog));
    check_serve(&r, &cfg);
    result = r.problems;
done:
    free(text);
    watchd_config_free(&cfg);
    return result;
}
