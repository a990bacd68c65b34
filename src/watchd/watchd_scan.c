/* Scanning folders into the settle table (see watchd_scan.h). */
#include "watchd/watchd_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Deepest nesting followed inside a Bruker run (spot/exp/acq/pdata/n). */
#define BRUKER_MAX_DEPTH 8

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static void add_file(watchd_signature *sig, const struct stat *st)
{
    sig->files++;
    sig->bytes += (uint64_t)st->st_size;
    if (mtime_ns(st) > sig->mtime_ns)
        sig->mtime_ns = mtime_ns(st);
}

bool watchd_is_bruker_run(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (!watchd_is_spot_name(e->d_name))
            continue;
        struct stat st;
        found = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    closedir(d);
    return found;
}

/* Sums every regular file below dir (symlinks not followed). */
static void tree_signature(const char *dir, int depth, watchd_signature *sig)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode)) {
            add_file(sig, &st);
        } else if (S_ISDIR(st.st_mode) && depth < BRUKER_MAX_DEPTH) {
            char *sub = omsi_path_join(dir, e->d_name);
            if (sub)
                tree_signature(sub, depth + 1, sig);
            free(sub);
        }
    }
    closedir(d);
}

/* What one folder scan collects per dataset before it goes to the table. */
typedef struct seen_dataset {
    char *key;
    char *stem;
    char *path;
    watchd_kind kind;
    watchd_signature sig;
} seen_dataset;

typedef struct seen_list {
    seen_dataset *items;
    size_t count, capacity;
} seen_list;

static void seen_free(seen_list *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->items[i].key);
        free(s->items[i].stem);
        free(s->items[i].path);
    }
    free(s->items);
}

static seen_dataset *seen_get(seen_list *s, const char *dir, const char *stem, watchd_kind kind)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->items[i].kind == kind && strcmp(s->items[i].stem, stem) == 0)
            return &s->items[i];
    if (s->count == s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 32;
        seen_dataset *items = realloc(s->items, cap * sizeof *items);
        if (!items)
            return NULL;
        s->items = items;
        s->capacity = cap;
    }
    seen_dataset fresh = {.kind = kind};
    fresh.stem = strdup(stem);
    fresh.key = watchd_group_key(dir, stem, kind);
    if (!fresh.stem || !fresh.key) {
        free(fresh.stem);
        free(fresh.key);
        return NULL;
    }
    s->items[s->count] = fresh;
    return &s->items[s->count++];
}

/* The reader gets the primary file; for Bruker the spot list (it names the
 * regions and leads to the run folder) wins over the run folder. */
static int set_path(seen_dataset *ds, const char *dir, const char *name, bool replace)
{
    if (ds->path && !replace)
        return 0;
    free(ds->path);
    ds->path = omsi_path_join(dir, name);
    return ds->path ? 0 : -1;
}

int watchd_scan_dir(watchd_table *t, const char *dir, bool recursive, double now,
                    const omsi_logger *log, omsi_error *err)
{
    DIR *d = opendir(dir);
    watchd_table_begin_scan(t, dir);
    if (!d) {
        /* Gone or unreadable: its datasets are dropped. */
        if (errno != ENOENT)
            omsi_log(log, OMSI_LOG_WARNING, "%s: cannot read folder: %s", dir, strerror(errno));
        watchd_table_end_scan(t, dir);
        return 0;
    }
    seen_list seen = {0};
    omsi_path_list subdirs;
    omsi_path_list_init(&subdirs);
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* vanished between readdir and stat */
        if (S_ISDIR(st.st_mode)) {
            if (name[0] == '.')
                continue;
            char *sub = omsi_path_join(dir, name);
            if (!sub) {
                rc = -1;
                break;
            }
            if (watchd_is_bruker_run(sub)) {
                seen_dataset *ds = seen_get(&seen, dir, name, WATCHD_KIND_BRUKER);
                if (!ds || set_path(ds, dir, name, false)) {
                    free(sub);
                    rc = -1;
                    break;
                }
                tree_signature(sub, 0, &ds->sig);
            } else if (recursive && omsi_path_list_add(&subdirs, sub)) {
                rc = -1;
            }
            free(sub);
            if (rc)
                break;
            continue;
        }
        if (!S_ISREG(st.st_mode))
            continue; /* symlinks, devices, sockets: never followed */
        char *stem = NULL;
        bool primary = false;
        watchd_kind kind = watchd_group_file(name, &stem, &primary);
        if (kind == WATCHD_KIND_NONE)
            continue;
        seen_dataset *ds = seen_get(&seen, dir, stem, kind);
        free(stem);
        if (!ds || (primary && set_path(ds, dir, name, kind == WATCHD_KIND_BRUKER))) {
            rc = -1;
            break;
        }
        add_file(&ds->sig, &st);
    }
    closedir(d);
    for (size_t i = 0; rc == 0 && i < seen.count; i++) {
        seen_dataset *ds = &seen.items[i];
        if (!watchd_table_observe(t, ds->key, dir, ds->path, ds->kind, ds->sig, now))
            rc = -1;
    }
    if (rc == 0)
        watchd_table_end_scan(t, dir);
    seen_free(&seen);
    for (size_t i = 0; rc == 0 && i < subdirs.count; i++)
        rc = watchd_scan_dir(t, subdirs.paths[i], true, now, log, err);
    omsi_path_list_free(&subdirs);
    if (rc == -1)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory scanning %s", dir);
    return rc;
}
