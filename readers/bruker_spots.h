/* Bruker flex spot discovery (spec 4.1-4.3): the spots of a spot folder,
 * optionally listed by a spot list file with region names. Paths are never
 * taken from file contents: spot folders are found by listing the run
 * folder, and every file must resolve inside it (no symlink escapes). */
#ifndef OMSI_BRUKER_SPOTS_H
#define OMSI_BRUKER_SPOTS_H

#include "readers/reader.h"

typedef struct bruker_spot {
    char name[64];          /* "R00X012Y006" or "A1" */
    bool imaging;           /* R..X..Y.. name */
    uint32_t region;        /* R */
    uint32_t x, y;          /* X, Y (imaging) or list position (non-imaging) */
    char *acqu, *fid;       /* NULL when the folder or files are missing */
    uint64_t fid_bytes;     /* size of fid when the spot was found */
    uint64_t acqu_bytes;    /* size of acqu (or acqus) when the spot was found */
    char *unusable;         /* set when one exists but never becomes data: "PATH:
                             * not a regular file (a FIFO)" or outside the tree */
} bruker_spot;

/* Regions (R values) a run may have; a spot list naming more is refused. */
#define BRUKER_MAX_REGIONS 4096

typedef struct bruker_region_name {
    uint32_t region;
    char name[128];
} bruker_region_name;

typedef struct bruker_run {
    char *folder;           /* the spot folder (absolute) */
    char *spot_list;        /* the spot list file, or NULL */
    uint64_t spot_list_bytes;
    bruker_spot *spots;
    size_t count;
    bruker_region_name *names;
    size_t n_names;
    size_t listed;          /* spots named by the spot list (0 without one) */
    uint64_t memory_limit;
} bruker_run;

/* Finds the run for path: a spot list file or a spot folder.
 * OMSI_ERR_NOT_FORMAT when it is neither. The spot table is bounded by
 * memory_limit (omsi_budget_check; 0 = default): a spot list of millions
 * of lines is refused, not read into gigabytes. */
int bruker_run_find(const char *path, uint64_t memory_limit, bruker_run *out, omsi_error *err);
void bruker_run_free(bruker_run *run);

/* Parses "R00X012Y006" (optionally "<chip>_" in front). */
bool bruker_parse_spot_name(const char *name, uint32_t *region, uint32_t *x, uint32_t *y);

#endif
