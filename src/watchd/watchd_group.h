/* Which dataset a file belongs to: files are grouped by directory, stem and
 * kind (.hdr/.t2m/.img, .imzML/.ibd, .mzML), and a folder holding Bruker spot
 * folders (R<r>X<x>Y<y>) is one dataset with its spot lists. Pure string
 * functions, no file system access. */
#ifndef OMSI_WATCHD_GROUP_H
#define OMSI_WATCHD_GROUP_H

#include <stdbool.h>

typedef enum watchd_kind {
    WATCHD_KIND_NONE = 0,
    WATCHD_KIND_IMG,      /* Analyze 7.5: stem.hdr + stem.t2m + stem.img */
    WATCHD_KIND_IMZML,    /* stem.imzML + stem.ibd */
    WATCHD_KIND_MZML,     /* stem.mzML */
    WATCHD_KIND_BRUKER    /* a spot folder tree (+ "<run> Spot List.txt"/"<run>_spot_list.txt") */
} watchd_kind;

/* Reader format name of a kind ("img", "imzml", "mzml", "bruckerflex"). */
const char *watchd_kind_format(watchd_kind kind);

/* A regular file `name` in a directory: its kind, the dataset stem (malloc'ed
 * into *stem) and whether it is the file to hand to the reader (the .hdr,
 * .imzML, .mzML, a Bruker spot list). Returns
 * WATCHD_KIND_NONE (and *stem NULL) for files of no dataset. */
watchd_kind watchd_group_file(const char *name, char **stem, bool *is_primary);

/* A spot folder name: [<chip>_]R<digits>X<digits>Y<digits> (imaging) or
 * <chip>_<letters><digits> (target position, e.g. 0_A1). */
bool watchd_is_spot_name(const char *name);

/* The dataset key: "<dir>/<stem>" plus a kind tag, malloc'ed. */
char *watchd_group_key(const char *dir, const char *stem, watchd_kind kind);

/* For a path below a Bruker spot tree ("<root>/run/0_R00X001Y002/1/1SLin"),
 * the directory that holds the run folder ("<root>"), malloc'ed; NULL when no
 * component is a spot name. Used to rescan the right folder on a change deep
 * inside a spot tree. */
char *watchd_group_bruker_parent(const char *path);

#endif
