/* The web view of the catalog (`omsi-catalog serve`, omsi-watchd's
 * `serve =`): an HTTP server on libmicrohttpd's internal thread pool, so
 * the caller's thread is free once it has started. Read-only: every request
 * thread uses a read-only catalog connection from a small pool. */
#ifndef OMSI_SERVE_H
#define OMSI_SERVE_H

#include "base/omsi_error.h"
#include "base/omsi_log.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct omsi_serve_config {
    const char *listen;          /* ADDR:PORT, NULL: 127.0.0.1:8642; port 0: a free one */
    const char *catalog_path;    /* an existing catalog */
    const char *token;           /* the bearer token every request needs, or NULL */
    bool insecure;               /* allow a non-loopback address without a token */
    unsigned threads;            /* 0: 4 */
    unsigned max_connections;    /* 0: 256 */
    double rate_per_second;      /* per client; 0: 100 (negative: no limit) */
    bool forking;                /* the process forks (omsi-watchd): a catalog connection per
                                  * request, none open between them (serve_pool.h) */
    const omsi_logger *log;      /* one line per request at NOTICE */
} omsi_serve_config;

typedef struct omsi_server omsi_server;

/* Binds, opens the catalog connections and starts the threads. Errors (an
 * address in use, a non-loopback address without a token, a missing
 * catalog) name what is wrong; OMSI_ERR_USAGE for the caller's mistakes. */
int omsi_serve_start(const omsi_serve_config *cfg, omsi_server **out, omsi_error *err);

/* "127.0.0.1:8642": the address it listens on (the chosen port for 0). */
const char *omsi_serve_address(const omsi_server *s);
uint16_t omsi_serve_port(const omsi_server *s);

/* A process that forks (omsi-watchd: its workers and classifiers) must not
 * fork while a request thread is inside HDF5 or SQLite: their locks would
 * stay held in the child. hold waits for the requests inside the catalog or
 * a file to finish (milliseconds) and keeps new ones out until release.
 * Both accept NULL (no server). */
void omsi_serve_hold(omsi_server *s);
void omsi_serve_release(omsi_server *s);

/* Stops accepting, finishes the requests in hand, frees everything. */
void omsi_serve_stop(omsi_server *s);

#endif
