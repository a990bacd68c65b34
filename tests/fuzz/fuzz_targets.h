/* Fuzz targets: one per reader input shape. A fuzz input is a small
 * container of files: for each file of the target, a 4-byte little-endian
 * length and that many bytes; the last file takes whatever remains. The
 * harness unpacks it into a private temporary directory and runs the whole
 * reader API over it (classify, open, every dataset and region, every
 * spectrum, metadata, dependencies). */
#ifndef OMSI_FUZZ_TARGETS_H
#define OMSI_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct omsi_fuzz_target {
    const char *name;          /* "img", "imzml", "mzml", "bruker_tree", "bruker_spotlist" */
    const char *format;        /* registry name */
    const char *files[6];      /* relative paths, NULL-terminated */
    const char *dataset_path;  /* relative path handed to the reader */
} omsi_fuzz_target;

const omsi_fuzz_target *omsi_fuzz_target_by_name(const char *name);

/* Runs one input through target; never returns an error: bad input must only
 * produce error codes, and anything else (crash, leak, UB) is the finding. */
void omsi_fuzz_run(const omsi_fuzz_target *target, const uint8_t *data, size_t size);

/* Removes the per-process work directory and everything in it. */
void omsi_fuzz_cleanup(void);

/* Packs existing files (dir/files[i]) into the container format at out_path
 * (for seeds made with omsi-gen). Returns 0 or -1 with a message on stderr. */
int omsi_fuzz_pack(const omsi_fuzz_target *target, const char *dir, const char *out_path);

#endif
