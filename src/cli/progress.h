/* Progress of long work on stderr, the way people and logs want it: on a
 * terminal one line per phase, rewritten in place at most five times a
 * second with the percentage, the rate and the time left; otherwise (a log,
 * journald) a plain line at most every 10 seconds. Quiet: nothing. */
#ifndef OMSI_PROGRESS_H
#define OMSI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct omsi_progress {
    const char *program;      /* "omsi-convert" */
    FILE *out;
    bool enabled, terminal;
    double (*now)(void);      /* seconds; monotonic (tests pass their own) */
    double stage_start, last_print;
    char stage[32];
    bool line_open;           /* a terminal line waits for its newline */
    bool printed_done;        /* this phase's 100 % is out */
} omsi_progress;

/* terminal: whether out is one (isatty), unless the caller knows better. */
void omsi_progress_init(omsi_progress *p, const char *program, FILE *out, bool enabled, bool terminal);
/* The writer's callback (omsi_progress_fn): done of total units in stage. */
void omsi_progress_update(void *ctx, const char *stage, uint64_t done, uint64_t total);
/* Ends an open terminal line (before other output, and at the end). */
void omsi_progress_finish(omsi_progress *p);

#endif
