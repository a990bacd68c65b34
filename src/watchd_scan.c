#include "watchd_scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_DEPTH = 32 };

/* Files that name a whole dataset; companions (.img, .t2m, .ibd) do not. */
static bool is_dataset_file(const char *name)
{
    return omsi_has_suffix_ci(name, ".hdr") || omsi_has_suffix_ci(name, ".imzML") ||
           omsi_has_suffix_ci(name, ".mzML") || omsi_has_suffix_ci(name, ".txt");
}

static void consider(watchd_tracker *t, const char *path, const omsi_format *only, double now,
                     const omsi_logger *log)
{
    omsi_error why = {0};
    const omsi_format *fmt = NULL;
    omsi_validity v;
    if (only) {
        v = only->is_valid_dataset(path, &why);
        fmt = only;
    } else if (omsi_detect_format(path, &fmt, &v, &why) != 0) {
        if (why.status != OMSI_ERR_NOT_FORMAT)
            omsi_log(log, OMSI_LOG_WARNING, "%s", why.message);
        return;
    }
    if (v == OMSI_NOT_THIS_FORMAT)
        return;
    omsi_path_list files;
    omsi_path_list_init(&files);
    omsi_error ignore = {0};
    fmt->list_files(path, &files, &ignore);
    uint64_t signature = watchd_signature(&files);
    omsi_path_list_free(&files);
    if (watchd_tracker_update(t, path, fmt, v, signature, now))
        omsi_log(log, OMSI_LOG_ERR, "%s: out of memory", path);
}

static void walk(watchd_tracker *t, const char *dir, int depth, double now, watchd_dir_fn on_dir,
                 void *ctx, const omsi_logger *log)
{
    if (depth > MAX_DEPTH) {
        omsi_log(log, OMSI_LOG_WARNING, "%s: deeper than %d levels, not scanned", dir, MAX_DEPTH);
        return;
    }
    if (on_dir)
        on_dir(ctx, dir);
    /* A Bruker spot tree is one dataset: the folder, not its files. */
    const omsi_format *bruker = omsi_format_by_name("bruckerflex");
    if (depth > 0 && bruker) {
        omsi_error why = {0};
        if (bruker->is_valid_dataset(dir, &why) != OMSI_NOT_THIS_FORMAT) {
            consider(t, dir, bruker, now, log);
            return;
        }
    }
    DIR *d = opendir(dir);
    if (!d) {
        omsi_log(log, OMSI_LOG_WARNING, "%s: %s", dir, strerror(errno));
        return;
    }
    omsi_path_list subdirs;
    omsi_path_list_init(&subdirs);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* also our own temporary files */
        char *path = omsi_path_join(dir, e->d_name);
        struct stat st;
        if (path && lstat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                omsi_path_list_add(&subdirs, path);
            else if (S_ISREG(st.st_mode) && is_dataset_file(e->d_name))
                consider(t, path, NULL, now, log);
        }
        free(path);
    }
    closedir(d);
    for (size_t i = 0; i < subdirs.count; i++)
        walk(t, subdirs.paths[i], depth + 1, now, on_dir, ctx, log);
    omsi_path_list_free(&subdirs);
}

int watchd_scan(watchd_tracker *t, const omsi_path_list *roots, double now, watchd_dir_fn on_dir,
                void *ctx, const omsi_logger *log)
{
    watchd_tracker_begin(t);
    for (size_t i = 0; i < roots->count; i++)
        walk(t, roots->paths[i], 0, now, on_dir, ctx, log);
    watchd_tracker_end(t);
    return 0;
}

void watchd_refresh(watchd_tracker *t, double now)
{
    for (size_t i = 0; i < t->count; i++) {
        watchd_dataset *d = &t->items[i];
        if (d->enqueued)
            continue;
        omsi_error why = {0};
        omsi_validity v = d->format->is_valid_dataset(d->path, &why);
        omsi_path_list files;
        omsi_path_list_init(&files);
        d->format->list_files(d->path, &files, &why);
        uint64_t signature = watchd_signature(&files);
        omsi_path_list_free(&files);
        char *path = strdup(d->path);
        if (path) {
            watchd_tracker_update(t, path, d->format, v, signature, now);
            free(path);
        }
    }
}
