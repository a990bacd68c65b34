/* Read-only catalog connections for the request threads: a small fixed
 * pool, each connection used by one thread at a time (taken, then given
 * back); or, in a process that forks (omsi-watchd), one connection opened
 * per request and closed after it, since SQLite's state of a connection
 * open across fork() breaks the child's own connections to the same file
 * ("disk I/O error"). Also the lock that keeps HDF5 calls on one thread at a time when
 * the HDF5 library is not built thread-safe. */
#ifndef OMSI_SERVE_POOL_H
#define OMSI_SERVE_POOL_H

#include "catalog/catalog.h"

#include <pthread.h>
#include <stdbool.h>

enum { SERVE_POOL_MAX = 16 };

typedef struct serve_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    omsi_catalog *cats[SERVE_POOL_MAX];
    bool busy[SERVE_POOL_MAX];
    unsigned n;
    pthread_mutex_t hdf5_lock;
    bool hdf5_serialized;
    bool per_request;         /* open on take, close on give */
    char *path;
} serve_pool;

/* Opens n (1..SERVE_POOL_MAX) read-only connections to path (per_request:
 * one, to check the catalog, closed again); errors name the catalog. */
int serve_pool_open(serve_pool *p, const char *path, unsigned n, bool per_request, omsi_error *err);
void serve_pool_close(serve_pool *p);

/* A free connection (waits for one; per_request: opens one). */
int serve_pool_take(serve_pool *p, omsi_catalog **cat, omsi_error *err);
void serve_pool_give(serve_pool *p, omsi_catalog *cat);

/* Around every HDF5 use (a no-op with a thread-safe HDF5). */
void serve_pool_hdf5_enter(serve_pool *p);
void serve_pool_hdf5_leave(serve_pool *p);

#endif
