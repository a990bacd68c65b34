/* Classification of settled datasets in child processes. Asking a reader
 * whether a dataset is complete (is_valid_dataset) parses untrusted file
 * content; a hostile or absurd file may take minutes of CPU or gigabytes of
 * memory doing it. So the daemon's main process never does it: each
 * classification runs in a forked child with RLIMIT_CPU and RLIMIT_AS set,
 * dies with the daemon (PR_SET_PDEATHSIG), reports its verdict through a
 * pipe, and is killed when it outlives its wall-clock deadline. The main
 * loop polls the pipes and keeps serving in the meantime. */
#ifndef OMSI_WATCHD_CLASSIFY_H
#define OMSI_WATCHD_CLASSIFY_H

#include "base/omsi_error.h"
#include "readers/reader.h"
#include "watchd/watchd_settle.h"

#include "watchd/watchd_fork_guard.h"

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Classifications running at once; a settled dataset waits for a free slot. */
#define WATCHD_CLASSIFY_SLOTS 4
/* Address space a classifier may add to what the daemon had at fork (two
 * conversion memory budgets: headers and indexes only, never the data). */
#define WATCHD_CLASSIFY_MEMORY ((uint64_t)512 << 20)

/* What a classifier writes to its pipe. */
typedef struct watchd_classify_msg {
    int32_t validity;                     /* omsi_validity */
    char message[OMSI_ERROR_MESSAGE_MAX]; /* the reader's reason, NUL-terminated */
} watchd_classify_msg;

typedef struct watchd_classifier {
    pid_t pid;                /* 0 = slot empty */
    int fd;                   /* read end of the result pipe; -1 once at EOF */
    char *key;                /* the candidate's table key */
    char *label;              /* its path (or key) for messages */
    watchd_signature sig;     /* what it looked like when classification began */
    bool stuck;               /* it was an incomplete dataset stuck for long */
    double deadline;          /* monotonic seconds */
    bool killed;              /* timed out: SIGKILL sent, verdict given, reaping */
    size_t got;               /* bytes of msg received */
    watchd_classify_msg msg;
} watchd_classifier;

typedef struct watchd_classifiers {
    watchd_classifier slot[WATCHD_CLASSIFY_SLOTS];
    double timeout;           /* seconds of CPU and of wall time, per classification */
    watchd_fork_guard guard;  /* around each fork */
} watchd_classifiers;

/* The outcome of one classification. */
typedef struct watchd_verdict {
    char *key;                /* to free (watchd_verdict_free) */
    watchd_signature sig;
    bool stuck;
    bool failed;              /* the classifier timed out, was killed or crashed */
    omsi_validity validity;   /* when !failed */
    omsi_error why;           /* the reader's reason, or why the classifier failed */
} watchd_verdict;

void watchd_classifiers_init(watchd_classifiers *set, double timeout);

/* True when key is being classified. */
bool watchd_classify_busy(const watchd_classifiers *set, const char *key);
/* True when no slot is free. */
bool watchd_classify_full(const watchd_classifiers *set);
/* How many run (killed ones not yet reaped included). */
unsigned watchd_classify_running(const watchd_classifiers *set);

/* Forks a classifier for c (its state becomes WATCHD_CLASSIFYING; *pid,
 * when not NULL, gets the child's pid). The caller must hold no catalog
 * connection: the child inherits the process. */
int watchd_classify_start(watchd_classifiers *set, watchd_candidate *c, bool stuck, double now,
                          pid_t *pid, omsi_error *err);

/* Adds the pipes to poll; returns how many pollfds were written (at most
 * WATCHD_CLASSIFY_SLOTS). */
size_t watchd_classify_pollfds(const watchd_classifiers *set, struct pollfd *fds);

/* Seconds until the next deadline (a large value when none runs). */
double watchd_classify_next_deadline(const watchd_classifiers *set, double now);

/* Reads the pipes, reaps finished classifiers, kills the ones past their
 * deadline. Fills out[] (up to max) with the verdicts and returns how many. */
size_t watchd_classify_collect(watchd_classifiers *set, double now, watchd_verdict *out, size_t max);

void watchd_verdict_free(watchd_verdict *v);

/* Shut-down: SIGKILL to every classifier, then reaps them (a few seconds at
 * most: a child stuck in the kernel is left to die on its own). */
void watchd_classify_stop(watchd_classifiers *set);

#endif
