/* Walking the drop folders: finds dataset candidates and feeds the tracker.
 * Symbolic links are not followed (nothing outside a drop folder is read). */
#ifndef OMSI_WATCHD_SCAN_H
#define OMSI_WATCHD_SCAN_H

#include "omsi_log.h"
#include "watchd_tracker.h"

/* Called for every directory walked (the watcher adds an inotify watch). */
typedef void (*watchd_dir_fn)(void *ctx, const char *dir);

int watchd_scan(watchd_tracker *t, const omsi_path_list *roots, double now, watchd_dir_fn on_dir,
                void *ctx, const omsi_logger *log);

/* Re-reads the state of the known datasets only (cheap; between scans). */
void watchd_refresh(watchd_tracker *t, double now);

#endif
