/* The temporary files of conversions (".<name>.h5.partial-<pid>.<host>-XXXXXX"
 * in the output folder, named by src/ingest; older ones without ".<host>")
 * that a killed worker left behind. */
#ifndef OMSI_WATCHD_PARTIALS_H
#define OMSI_WATCHD_PARTIALS_H

#include "base/omsi_log.h"

#include <sys/types.h>

/* At start: removes this host's (and host-less) partial files whose writer
 * is dead; a live writer's (a manual ingest, a worker that outlived its
 * daemon) and other hosts' (an output folder shared over NFS) are kept. */
void watchd_remove_stale_partials(const char *output_dir, const omsi_logger *log);

/* A job taken over from an expired lease: removes the partial files of its
 * previous worker (host, pid). */
void watchd_remove_partials_of(const char *output_dir, const char *host, pid_t pid, const omsi_logger *log);

#endif
