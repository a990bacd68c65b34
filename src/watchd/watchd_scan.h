/* Scanning drop folders into the settle table: one folder at a time (after
 * an inotify event) or whole trees (start, queue overflow, --poll). Never
 * follows symbolic links and never leaves the drop folders. */
#ifndef OMSI_WATCHD_SCAN_H
#define OMSI_WATCHD_SCAN_H

#include "base/omsi_log.h"
#include "watchd/watchd_settle.h"

#include <stdbool.h>

/* Scans dir at time now: every dataset in it is observed in t; datasets of
 * dir no longer there are dropped. With recursive, sub-folders too (but not
 * into a Bruker run folder, which is one dataset). Unreadable entries are
 * logged and skipped. Returns 0, or < 0 only when out of memory. */
int watchd_scan_dir(watchd_table *t, const char *dir, bool recursive, double now,
                    const omsi_logger *log, omsi_error *err);

/* True when dir directly holds a spot folder (R<r>X<x>Y<y>). */
bool watchd_is_bruker_run(const char *dir);

#endif
