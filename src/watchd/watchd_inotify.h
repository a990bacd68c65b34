/* Recursive inotify watcher over the drop folders. Events only name the
 * folders that changed ("dirty"); the caller rescans them. New sub-folders
 * are watched as they appear. A kernel queue overflow asks for a full
 * rescan; running out of watches (ENOSPC) is reported with the sysctl to
 * raise. */
#ifndef OMSI_WATCHD_INOTIFY_H
#define OMSI_WATCHD_INOTIFY_H

#include "base/omsi_error.h"
#include "base/omsi_log.h"
#include "base/omsi_util.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct watchd_watch {
    int wd;
    char *path;
} watchd_watch;

typedef struct watchd_watcher {
    int fd;                 /* inotify descriptor (non-blocking), -1 when closed */
    watchd_watch *watches;
    size_t count, capacity;
    const omsi_logger *log;
} watchd_watcher;

int watchd_watcher_open(watchd_watcher *w, const omsi_logger *log, omsi_error *err);
void watchd_watcher_close(watchd_watcher *w);

/* Watches dir and every folder below it (symlinks not followed). Folders
 * added are appended to added (may be NULL) so the caller can scan them. */
int watchd_watcher_add_tree(watchd_watcher *w, const char *dir, omsi_path_list *added,
                            omsi_error *err);

/* Reads all pending events. Changed folders are added (once) to dirty;
 * *overflow is set on IN_Q_OVERFLOW. New folders are watched and added to
 * dirty with everything below them. */
int watchd_watcher_read(watchd_watcher *w, omsi_path_list *dirty, bool *overflow,
                        omsi_error *err);

/* Adds path to list unless it is already there. */
int watchd_dirty_add(omsi_path_list *list, const char *path);

#endif
