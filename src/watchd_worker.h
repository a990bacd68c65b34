/* A worker process: claims jobs from the catalog and ingests them until
 * told to stop (SIGTERM/SIGINT on its signalfd) or, in --once mode, until
 * no job is left. */
#ifndef OMSI_WATCHD_WORKER_H
#define OMSI_WATCHD_WORKER_H

#include "omsi_log.h"
#include "watchd_config.h"

/* Runs in the forked child; returns its exit code. The caller has blocked
 * SIGTERM, SIGINT, SIGHUP and SIGCHLD. */
int watchd_worker_main(const watchd_config *c, int index, const omsi_logger *log);

#endif
