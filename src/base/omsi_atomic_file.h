/* A file that appears whole or not at all: written under a temporary name
 * beside its final path (".<name>.partial-XXXXXX", mode 0644 minus umask)
 * and renamed into place by omsi_atomic_file_commit after fsync. Abort (or a
 * failed commit) removes the temporary file, so a failed or interrupted
 * writer never leaves a partial file under the final name. */
#ifndef OMSI_ATOMIC_FILE_H
#define OMSI_ATOMIC_FILE_H

#include "base/omsi_error.h"

#include <stdio.h>

typedef struct omsi_atomic_file {
    FILE *fp;        /* write here */
    char *final_path;
    char *temp_path;
} omsi_atomic_file;

/* path "-" writes to stdout directly (commit flushes it, nothing to rename). */
int omsi_atomic_file_open(const char *path, omsi_atomic_file *out, omsi_error *err);
/* Flushes, fsyncs, renames; on any failure removes the temporary file. Always
 * releases f. */
int omsi_atomic_file_commit(omsi_atomic_file *f, omsi_error *err);
/* Removes the temporary file and releases f (safe on a zeroed struct). */
void omsi_atomic_file_abort(omsi_atomic_file *f);

#endif
