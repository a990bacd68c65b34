/* Datasets seen in the drop folders and the settle rule: a dataset is ready
 * when it is complete (VALID, or BROKEN so that the job fails and is
 * quarantined with its error) and its files' signature (count, sizes,
 * mtimes) has not changed for the settle time. Pure bookkeeping: the clock
 * and the file system are passed in, so tests drive it with a fake clock. */
#ifndef OMSI_WATCHD_TRACKER_H
#define OMSI_WATCHD_TRACKER_H

#include "reader.h"

typedef struct watchd_dataset {
    char *path;
    const omsi_format *format;
    omsi_validity validity;
    uint64_t signature;
    double changed_at;         /* when the signature last changed */
    bool enqueued;             /* a job exists for this signature */
    bool seen;                 /* present in the current scan */
    bool warned;               /* incomplete for long: logged once */
} watchd_dataset;

typedef struct watchd_tracker {
    watchd_dataset *items;
    size_t count, cap;
} watchd_tracker;

void watchd_tracker_init(watchd_tracker *t);
void watchd_tracker_free(watchd_tracker *t);

/* Starts a scan: every dataset is marked unseen. */
void watchd_tracker_begin(watchd_tracker *t);
/* Records the current state of one dataset found by a scan. */
int watchd_tracker_update(watchd_tracker *t, const char *path, const omsi_format *format,
                          omsi_validity validity, uint64_t signature, double now);
/* Ends a scan: datasets not seen (deleted, renamed) are forgotten. */
void watchd_tracker_end(watchd_tracker *t);

/* Is d ready to be enqueued at time now? Complete datasets after settle
 * seconds; incomplete ones after 10 x settle (so they fail into quarantine). */
bool watchd_dataset_ready(const watchd_dataset *d, double now, double settle);
/* Seconds until the next dataset may become ready (or -1 if none waits). */
double watchd_tracker_next_deadline(const watchd_tracker *t, double now, double settle);

/* Signature of a dataset's files: count, sizes and mtimes hashed (FNV-1a).
 * A missing file counts too, so completion changes it. */
uint64_t watchd_signature(const omsi_path_list *files);

#endif
