/* The settle rule: a table of candidate datasets, each with the signature of
 * its files (count, total bytes, newest mtime) as last seen. A dataset is
 * handed to the queue only when its signature has not changed for the settle
 * time AND the reader says every companion file is there (VALID; a settled
 * BROKEN one is queued too, so that it fails and is quarantined with its
 * error). Time is passed in, so tests drive it with a fake clock. */
#ifndef OMSI_WATCHD_SETTLE_H
#define OMSI_WATCHD_SETTLE_H

#include "readers/reader.h"
#include "watchd/watchd_group.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct watchd_signature {
    uint64_t files;
    uint64_t bytes;
    int64_t mtime_ns;   /* newest mtime among the files */
} watchd_signature;

typedef enum watchd_state {
    WATCHD_WAITING,     /* changed less than the settle time ago */
    WATCHD_INCOMPLETE,  /* settled, but companions missing/short: wait for a change */
    WATCHD_QUEUED,      /* handed to the job queue with this signature */
    WATCHD_IGNORED,     /* settled, and no reader claims it */
    WATCHD_CLASSIFYING  /* settled; a classifier child asks the reader (watchd_classify.h) */
} watchd_state;

typedef struct watchd_candidate {
    char *key;          /* watchd_group_key */
    char *dir;          /* the folder whose scan sees it */
    char *path;         /* what the reader gets; NULL while the primary file is missing */
    watchd_kind kind;
    watchd_signature sig;
    double changed_at;  /* when sig last changed */
    watchd_state state;
    bool seen;          /* mark for the current scan of dir */
} watchd_candidate;

typedef struct watchd_table {
    watchd_candidate *items;
    size_t count, capacity;
} watchd_table;

void watchd_table_init(watchd_table *t);
void watchd_table_free(watchd_table *t);

watchd_candidate *watchd_table_find(watchd_table *t, const char *key);

/* Records what a scan saw at time now. A new dataset or a changed signature
 * (or a changed reader path) goes (back) to WAITING with changed_at = now.
 * Returns the candidate, NULL when out of memory. */
watchd_candidate *watchd_table_observe(watchd_table *t, const char *key, const char *dir,
                                       const char *path, watchd_kind kind,
                                       watchd_signature sig, double now);

/* Before a scan of dir: clears the seen marks there. After it: drops the
 * candidates of dir that the scan did not see (deleted or moved away).
 * Returns how many were dropped. */
void watchd_table_begin_scan(watchd_table *t, const char *dir);
size_t watchd_table_end_scan(watchd_table *t, const char *dir);

/* True when c is waiting and quiet for settle_seconds at time now. */
bool watchd_settled(const watchd_candidate *c, double now, double settle_seconds);

/* Applies the reader's verdict on a settled candidate and returns true when
 * it must be queued now (VALID or BROKEN). INCOMPLETE and NOT_THIS_FORMAT
 * park it until its signature changes. */
bool watchd_apply_validity(watchd_candidate *c, omsi_validity v);

/* The reader's verdict on a candidate: INCOMPLETE while the primary file is
 * missing, else the format's is_valid_dataset. why gets the reason. It parses
 * untrusted content: the daemon calls it only in a classifier child. */
omsi_validity watchd_probe(const watchd_candidate *c, omsi_error *why);

/* How many candidates are not yet decided (WAITING or CLASSIFYING). */
size_t watchd_table_waiting(const watchd_table *t);

#endif
