/* omsi-watchd settings and the key = value config file. */
#include "watchd/watchd_config.h"

#include "base/omsi_log.h"
#include "serve/serve_addr.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void watchd_config_init(watchd_config *c)
{
    memset(c, 0, sizeof *c);
    omsi_path_list_init(&c->watch);
    c->settle_seconds = WATCHD_DEFAULT_SETTLE;
    c->settle_bruker = -1;
    c->workers = WATCHD_DEFAULT_WORKERS;
    c->max_attempts = WATCHD_DEFAULT_MAX_ATTEMPTS;
    c->retry_backoff = WATCHD_DEFAULT_RETRY_BACKOFF;
    c->lease_seconds = WATCHD_DEFAULT_LEASE;
    c->log_level = OMSI_LOG_INFO;
    c->classify_timeout = WATCHD_DEFAULT_CLASSIFY_TIMEOUT;
}

double watchd_config_settle_bruker(const watchd_config *c)
{
    return c->settle_bruker >= 0 ? c->settle_bruker : WATCHD_BRUKER_SETTLE_FACTOR * c->settle_seconds;
}

void watchd_config_free(watchd_config *c)
{
    omsi_path_list_free(&c->watch);
    free(c->output_dir);
    free(c->catalog);
    free(c->serve);
    free(c->serve_token_file);
    memset(c, 0, sizeof *c);
}

int watchd_log_level_from_name(const char *name)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {{"error", OMSI_LOG_ERR},   {"warning", OMSI_LOG_WARNING},
                  {"notice", OMSI_LOG_NOTICE}, {"info", OMSI_LOG_INFO},
                  {"debug", OMSI_LOG_DEBUG}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(name, levels[i].name) == 0)
            return levels[i].level;
    return -1;
}

static int parse_seconds(const char *value, double min, double *out, const char *origin,
                         const char *key, omsi_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end != '\0' || !isfinite(v) || v < min || v > 86400.0 * 365)
        return omsi_error_set(err, OMSI_ERR_USAGE,
                              "%s: %s must be a number of seconds >= %g, not '%s'", origin, key,
                              min, value);
    *out = v;
    return 0;
}

static int parse_count(const char *value, unsigned min, unsigned max, unsigned *out,
                       const char *origin, const char *key, omsi_error *err)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    if (errno || end == value || *end != '\0' || value[0] == '-' || v < min || v > max)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: %s must be a whole number %u..%u, not '%s'",
                              origin, key, min, max, value);
    *out = (unsigned)v;
    return 0;
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

int watchd_config_set(watchd_config *c, const char *key, const char *value, const char *origin,
                      omsi_error *err)
{
    bool is_path_key = strcmp(key, "watch") == 0 || strcmp(key, "output_dir") == 0 ||
                       strcmp(key, "catalog") == 0 || strcmp(key, "serve_token_file") == 0;
    if (is_path_key && value[0] == '\0')
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: %s needs a path", origin, key);
    if (strcmp(key, "watch") == 0) {
        if (omsi_path_list_add(&c->watch, value))
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        return 0;
    }
    if (strcmp(key, "output_dir") == 0)
        return set_string(&c->output_dir, value, err);
    if (strcmp(key, "catalog") == 0)
        return set_string(&c->catalog, value, err);
    if (strcmp(key, "serve") == 0) {
        serve_addr addr;
        if (!*value) { /* "serve =": off */
            free(c->serve);
            c->serve = NULL;
            return 0;
        }
        if (serve_addr_parse(value, &addr, err)) {
            omsi_error_prefix(err, "%s: serve", origin);
            return err->status;
        }
        return set_string(&c->serve, value, err);
    }
    if (strcmp(key, "serve_token_file") == 0)
        return set_string(&c->serve_token_file, value, err);
    if (strcmp(key, "settle") == 0)
        return parse_seconds(value, 0, &c->settle_seconds, origin, key, err);
    if (strcmp(key, "settle_bruker") == 0)
        return parse_seconds(value, 0, &c->settle_bruker, origin, key, err);
    if (strcmp(key, "poll") == 0)
        return parse_seconds(value, 0, &c->poll_seconds, origin, key, err);
    if (strcmp(key, "retry_backoff") == 0)
        return parse_seconds(value, 0, &c->retry_backoff, origin, key, err);
    if (strcmp(key, "lease_seconds") == 0)
        return parse_seconds(value, 1, &c->lease_seconds, origin, key, err);
    if (strcmp(key, "classify_timeout_seconds") == 0)
        return parse_seconds(value, 0.1, &c->classify_timeout, origin, key, err);
    if (strcmp(key, "workers") == 0)
        return parse_count(value, 1, WATCHD_MAX_WORKERS, &c->workers, origin, key, err);
    if (strcmp(key, "max_attempts") == 0)
        return parse_count(value, 1, 1000, &c->max_attempts, origin, key, err);
    if (strcmp(key, "strict_checksums") == 0) {
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
            c->strict_checksums = value[0] == 't';
            return 0;
        }
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: strict_checksums must be true or false, not '%s'", origin,
                              value);
    }
    if (strcmp(key, "calibration") == 0) {
        static const char *const names[] = {"auto", "plain", "hpc"}; /* omsi_calibration order */
        for (int i = 0; i < 3; i++)
            if (strcmp(value, names[i]) == 0) {
                c->calibration = (omsi_calibration)i;
                return 0;
            }
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: calibration must be auto, plain or hpc, not '%s'", origin,
                              value);
    }
    if (strcmp(key, "log_level") == 0) {
        int level = watchd_log_level_from_name(value);
        if (level < 0)
            return omsi_error_set(err, OMSI_ERR_USAGE,
                                  "%s: log_level must be error, warning, notice, info or debug, not '%s'",
                                  origin, value);
        c->log_level = level;
        return 0;
    }
    return omsi_error_set(err, OMSI_ERR_USAGE, "%s: unknown key '%s'", origin, key);
}

/* Trims spaces at both ends of [*start, *end). */
static void trim(const char **start, const char **end)
{
    while (*start < *end && isspace((unsigned char)**start))
        (*start)++;
    while (*end > *start && isspace((unsigned char)(*end)[-1]))
        (*end)--;
}

static int parse_line(watchd_config *c, const char *line, const char *line_end, const char *origin,
                      omsi_error *err)
{
    const char *start = line, *end = line_end;
    trim(&start, &end);
    if (start == end || *start == '#')
        return 0;
    const char *eq = memchr(start, '=', (size_t)(end - start));
    if (!eq)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: expected 'key = value'", origin);
    const char *key_start = start, *key_end = eq, *value_start = eq + 1, *value_end = end;
    trim(&key_start, &key_end);
    trim(&value_start, &value_end);
    if (key_start == key_end)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: missing key before '='", origin);
    if (value_end - value_start >= 2 && *value_start == '"' && value_end[-1] == '"') {
        value_start++;
        value_end--;
    }
    char key[64];
    size_t key_len = (size_t)(key_end - key_start);
    if (key_len >= sizeof key)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: unknown key '%.*s'", origin,
                              (int)key_len, key_start);
    memcpy(key, key_start, key_len);
    key[key_len] = '\0';
    char *value = strndup(value_start, (size_t)(value_end - value_start));
    if (!value)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    int rc = watchd_config_set(c, key, value, origin, err);
    free(value);
    return rc;
}

int watchd_config_parse(watchd_config *c, const char *text, const char *name, omsi_error *err)
{
    unsigned line_no = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        const char *line_end = nl ? nl : p + strlen(p);
        line_no++;
        char origin[512];
        snprintf(origin, sizeof origin, "%s:%u", name, line_no);
        if (memchr(p, '\0', (size_t)(line_end - p)))
            return omsi_error_set(err, OMSI_ERR_USAGE, "%s: NUL byte", origin);
        int rc = parse_line(c, p, line_end, origin, err);
        if (rc)
            return rc;
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

int watchd_config_parse_each(watchd_config *c, const char *text, const char *name,
                             watchd_config_problem_fn report, void *ctx)
{
    /* Like watchd_config_parse, but every bad line is reported and skipped
     * (omsi-watchd --check-config lists them all). */
    unsigned line_no = 0, problems = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        const char *line_end = nl ? nl : p + strlen(p);
        line_no++;
        char origin[512];
        snprintf(origin, sizeof origin, "%s:%u", name, line_no);
        omsi_error err = {0};
        int rc = parse_line(c, p, line_end, origin, &err);
        if (rc && err.status == OMSI_ERR_NOMEM)
            return -1;
        if (rc) {
            report(ctx, err.message);
            problems++;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return (int)problems;
}

int watchd_config_load(watchd_config *c, const char *path, omsi_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = omsi_read_small_file(path, 1u << 20, &text, &len, err);
    if (rc)
        return rc;
    if (strlen(text) != len)
        rc = omsi_error_set(err, OMSI_ERR_USAGE, "%s: NUL byte in config file", path);
    else
        rc = watchd_config_parse(c, text, path, err);
    free(text);
    return rc;
}

int watchd_config_validate(const watchd_config *c, omsi_error *err)
{
    if (c->watch.count == 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "no drop folder: give --watch DIR or 'watch = DIR'");
    if (!c->output_dir)
        return omsi_error_set(err, OMSI_ERR_USAGE,
                              "no output folder: give --output-dir DIR or 'output_dir = DIR'");
    serve_addr addr;
    if (c->serve && serve_addr_parse(c->serve, &addr, err) == 0 && !addr.loopback && !c->serve_token_file)
        return omsi_error_set(err, OMSI_ERR_USAGE,
                              "serve = %s is not a loopback address: add 'serve_token_file = FILE' (a bearer "
                              "token every request must bring)", c->serve);
    return 0;
}

int watchd_config_build(const watchd_invocation *cli, watchd_config *cfg, omsi_error *err)
{
    watchd_config_init(cfg);
    int rc = 0;
    if (cli->config_path)
        rc = watchd_config_load(cfg, cli->config_path, err);
    bool cli_watch = false;
    for (size_t i = 0; rc == 0 && i < cli->n_settings; i++) {
        const watchd_setting *s = &cli->settings[i];
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
