/* omsi-watchd configuration: defaults, the config file, the command line.
 *
 * Config file: one "key = value" per line, '#' starts a comment, blank lines
 * ignored. Keys: watch (repeatable), output_dir, catalog, settle, workers,
 * poll, max_attempts, backoff, compression. Command-line options override
 * the file; --watch given on the command line replaces the file's list. */
#ifndef OMSI_WATCHD_CONFIG_H
#define OMSI_WATCHD_CONFIG_H

#include "omsi_error.h"
#include "omsi_util.h"

#include <stdbool.h>

typedef struct watchd_config {
    omsi_path_list watch;     /* drop folders */
    char *output_dir;
    char *catalog;
    char *config_file;        /* for SIGHUP reloads; NULL if none */
    double settle;            /* seconds without change before a dataset is taken */
    int workers;
    double poll;              /* > 0: rescan every poll seconds instead of inotify */
    int max_attempts;         /* failures before quarantine */
    double backoff;           /* first retry delay, doubled per attempt */
    int compression;          /* gzip level, -1 none */
    bool once;
    int verbosity;            /* OMSI_LOG_* */
} watchd_config;

void watchd_config_init(watchd_config *c);
void watchd_config_free(watchd_config *c);

/* Reads a config file into c (keys present override c). */
int watchd_config_load(watchd_config *c, const char *path, omsi_error *err);
/* Parses one "key = value" line (line_no for messages); blank/comment lines ok. */
int watchd_config_line(watchd_config *c, const char *line, const char *path, int line_no,
                       omsi_error *err);
/* Checks required settings and ranges. */
int watchd_config_validate(const watchd_config *c, omsi_error *err);

/* Makes the drop folders absolute (realpath), so job paths are stable. */
int watchd_config_canonicalize(watchd_config *c, omsi_error *err);

/* Parses argv (getopt). *exit_code >= 0 means: exit now with it (help,
 * version, usage error). */
int watchd_config_from_args(watchd_config *c, int argc, char **argv, int *exit_code);

#endif
