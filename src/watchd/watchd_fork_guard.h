/* What the daemon does around each fork() of a worker or classifier: the
 * web view (serve =) keeps its request threads out of HDF5 and SQLite for
 * that moment, since a lock held by another thread stays held in the child
 * (omsi_serve_hold). Empty (NULL hold) when nothing is served. */
#ifndef OMSI_WATCHD_FORK_GUARD_H
#define OMSI_WATCHD_FORK_GUARD_H

#include <stddef.h>

typedef struct watchd_fork_guard {
    void (*hold)(void *ctx);
    void (*release)(void *ctx);
    void *ctx;
} watchd_fork_guard;

static inline void watchd_fork_hold(const watchd_fork_guard *g)
{
    if (g && g->hold)
        g->hold(g->ctx);
}

static inline void watchd_fork_release(const watchd_fork_guard *g)
{
    if (g && g->release)
        g->release(g->ctx);
}

#endif
