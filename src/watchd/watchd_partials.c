/* Removing the partial files of dead writers (see watchd_partials.h). */
#include "watchd/watchd_partials.h"

#include "base/omsi_proc.h"
#include "catalog/verify.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The writer of a partial file: its pid and host ("" when the name has
 * none). False when name is not a partial file. */
static bool parse_partial(const char *name, long *pid, char host[OMSI_HOST_MAX])
{
    const char *mark = strstr(name, ".h5.partial-");
    if (name[0] != '.' || !mark)
        return false;
    char *end;
    *pid = strtol(mark + strlen(".h5.partial-"), &end, 10);
    if (*pid <= 0)
        return false;
    host[0] = '\0';
    if (*end == '-')
        return true;
    if (*end != '.')
        return false;
    /* The host ends at the last '-' (the mkstemp suffix follows) before the
     * end, or before the writer's own ".partial-<pid>-XXXXXX" that it adds
     * to a temporary file beside this one. */
    const char *limit = strstr(end, ".partial-");
    if (!limit)
        limit = end + strlen(end);
    const char *last = NULL;
    for (const char *p = end + 1; p < limit; p++)
        if (*p == '-')
            last = p;
    if (!last || last == end + 1 || (size_t)(last - end - 1) >= OMSI_HOST_MAX)
        return false;
    memcpy(host, end + 1, (size_t)(last - end - 1));
    host[last - end - 1] = '\0';
    return true;
}

/* Removes the partial files for which keep() says no. */
static void sweep(const char *output_dir, const char *why, const omsi_logger *log,
                  bool (*keep)(long pid, const char *host, const void *ctx), const void *ctx)
{
    DIR *d = opendir(output_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid;
        char host[OMSI_HOST_MAX];
        if (!parse_partial(e->d_name, &pid, host) || keep(pid, host, ctx))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            omsi_log(log, OMSI_LOG_NOTICE, "%s/%s: removed the partial file of %s", output_dir, e->d_name, why);
    }
    closedir(d);
}

typedef struct local_ctx {
    const char *me;
    const char *output_dir;
    const omsi_logger *log;
} local_ctx;

static bool keep_local(long pid, const char *host, const void *ctx)
{
    const local_ctx *c = ctx;
    if (host[0] && strcmp(host, c->me) != 0)
        return true; /* another host's: its lease says when it is dead */
    if (omsi_proc_alive((pid_t)pid, 0)) {
        omsi_log(c->log, OMSI_LOG_INFO, "%s: a partial file kept, its writer (pid %ld) is running", c->output_dir,
                 pid);
        return true;
    }
    return false;
}

void watchd_remove_stale_partials(const char *output_dir, const omsi_logger *log)
{
    char me[OMSI_HOST_MAX];
    local_ctx c = {.me = omsi_proc_host(me), .output_dir = output_dir, .log = log};
    sweep(output_dir, "an interrupted conversion", log, keep_local, &c);
}

typedef struct owner_ctx {
    const char *host;
    long pid;
} owner_ctx;

static bool keep_others(long pid, const char *host, const void *ctx)
{
    const owner_ctx *c = ctx;
    return pid != c->pid || strcmp(host, c->host) != 0;
}

void watchd_remove_partials_of(const char *output_dir, const char *host, pid_t pid, const omsi_logger *log)
{
    owner_ctx c = {.host = host ? host : "", .pid = (long)pid};
    sweep(output_dir, "a worker whose lease expired", log, keep_others, &c);
}

/* See watchd_partials.h. */
void watchd_remove_unrecorded_outputs(omsi_catalog *cat, const char *output, int number, const omsi_logger *log)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, "-%d.h5", number);
    size_t n = strlen(output), s = strlen(suffix);
    if (number < 2 || n <= s || strcmp(output + n - s, suffix) != 0)
        return;
    int stem = (int)(n - s);
    char *name = malloc(n + 1);
    if (!name)
        return;
    for (int k = 1; k < number; k++) {
        if (k == 1)
            snprintf(name, n + 1, "%.*s.h5", stem, output);
        else
            snprintf(name, n + 1, "%.*s-%d.h5", stem, output, k);
        bool recorded = true;
        omsi_error err = {0};
        if (access(name, F_OK) != 0 || omsi_catalog_output_recorded(cat, name, &recorded, &err) || recorded)
            continue;
        if (unlink(name) == 0)
            omsi_log(log, OMSI_LOG_NOTICE, "%s: removed, published but never recorded by a worker whose lease expired",
                     name);
    }
    free(name);
}
