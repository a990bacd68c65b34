/* What image, spectrum and thumbnail share: a source ID and --dataset N
 * resolved through the catalog to an open converted dataset, and the
 * parsing of their numeric arguments. */
#ifndef OMSI_VIEW_TARGET_H
#define OMSI_VIEW_TARGET_H

#include "catalog/locate.h"
#include "cli/commands.h"
#include "view/omsi_view.h"

typedef struct view_target {
    omsi_dataset_location loc;
    omsi_view view;
} view_target;

/* Looks up source id_text's dataset number dataset and opens it; logs why
 * not. Returns an exit code: 0, 1 (no such source/dataset, unreadable
 * file), 2 (id_text is not an ID). */
int view_target_open(const omsi_cli *cli, const char *command, const char *id_text, unsigned dataset,
                     view_target *out);
void view_target_close(view_target *t);

/* Strict number parsers for option values: the whole text, finite. */
bool view_parse_double(const char *text, double *out);
bool view_parse_u64(const char *text, uint64_t *out);

/* Prints "omsi-catalog COMMAND: <message>", a blank line and usage to
 * stderr; returns 2 (a usage error). */
int view_usage_error(const char *command, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Where a picture goes without -o: "omsi-<ID>-<dataset>-<what>.png". */
char *view_default_name(const view_target *t, const char *what, const char *ext);

#endif
