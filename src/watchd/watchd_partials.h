/* The temporary files of conversions (".<name>.h5.partial-<pid>.<host>-XXXXXX"
 * in the output folder, named by src/ingest; older ones without ".<host>")
 * that a killed worker left behind. */
#ifndef OMSI_WATCHD_PARTIALS_H
#define OMSI_WATCHD_PARTIALS_H

#include "base/omsi_log.h"
#include "catalog/catalog.h"

#include <sys/types.h>

/* At start: removes this host's (and host-less) partial files whose writer
 * is dead; a live writer's (a manual ingest, a worker that outlived its
 * daemon) and other hosts' (an output folder shared over NFS) are kept. */
void watchd_remove_stale_partials(const char *output_dir, const omsi_logger *log);

/* A job taken over from an expired lease: removes the partial files of its
 * previous worker (host, pid). */
void watchd_remove_partials_of(const char *output_dir, const char *host, pid_t pid, const omsi_logger *log);

/* After a job taken over from a dead host was converted here as
 * "<stem>-N.h5" (number N, from publish): the names below it
 * ("<stem>.h5", "<stem>-2.h5", ...) that no output_files row holds were
 * published by the dead worker, which died before it recorded them (its
 * job was still running, so it is this job). They are removed, so that
 * every .h5 in the output folder is the catalog's. The stem is what
 * remains of the name without "-N.h5", N given: stems end in 12 hex digits
 * of the fingerprint, all of them decimal digits once in ~290 datasets,
 * which a parse of the name took for N (10^11 access() calls: a worker
 * hung, and names of the stem's prefix were candidates for removal). */
void watchd_remove_unrecorded_outputs(omsi_catalog *cat, const char *output, int number, const omsi_logger *log);

#endif
