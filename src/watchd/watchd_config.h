/* omsi-watchd settings: defaults, the config file (key = value lines) and
 * validation. The file format is documented in docs/watchd.md and
 * systemd/omsi-watchd.conf. */
#ifndef OMSI_WATCHD_CONFIG_H
#define OMSI_WATCHD_CONFIG_H

#include "base/omsi_error.h"
#include "base/omsi_util.h"
#include "readers/reader.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct watchd_config {
    omsi_path_list watch;      /* drop folders (key `watch`, repeatable) */
    char *output_dir;          /* where .h5 files go */
    char *catalog;             /* SQLite path or postgresql:// URI; NULL = omsi_catalog_default_path */
    double settle_seconds;     /* quiet time before a dataset counts as complete */
    double settle_bruker;      /* the same for Bruker spot trees; < 0: 4 x settle_seconds */
    unsigned workers;          /* conversion processes */
    double poll_seconds;       /* > 0: poll instead of inotify (network filesystems) */
    unsigned max_attempts;     /* failures before quarantine */
    double retry_backoff;      /* first retry delay, doubled each failure */
    double lease_seconds;      /* a running job's lease; another host may take it once expired */
    int log_level;             /* OMSI_LOG_* */
    omsi_calibration calibration; /* Bruker flex m/z: auto (default), plain, hpc */
    double classify_timeout;   /* CPU and wall seconds a classification may take */
    bool strict_checksums;        /* a wrong declared checksum fails the job */
    char *serve;               /* `serve = ADDR:PORT`: the web view in the daemon; NULL = off */
    char *serve_token_file;    /* its bearer token (needed for a non-loopback address) */
} watchd_config;

#define WATCHD_DEFAULT_SETTLE 30.0
/* Spot trees are copied spot by spot, with pauses: by default they wait
 * this many settle times (120 s at the default settle). */
#define WATCHD_BRUKER_SETTLE_FACTOR 4.0
#define WATCHD_DEFAULT_WORKERS 1u
#define WATCHD_DEFAULT_MAX_ATTEMPTS 5u
#define WATCHD_DEFAULT_RETRY_BACKOFF 60.0
/* A worker renews its job's lease every third of it: a host that dies
 * loses its jobs to the others after at most this long. */
#define WATCHD_DEFAULT_LEASE 60.0
#define WATCHD_MAX_WORKERS 256u
#define WATCHD_DEFAULT_CLASSIFY_TIMEOUT 60.0

void watchd_config_init(watchd_config *c);

/* The settle time of a Bruker spot tree under c. */
double watchd_config_settle_bruker(const watchd_config *c);
void watchd_config_free(watchd_config *c);

/* Applies one setting (key as in the file). origin ("FILE:LINE" or "--opt")
 * prefixes error messages. */
int watchd_config_set(watchd_config *c, const char *key, const char *value, const char *origin,
                      omsi_error *err);

/* Parses config text: `key = value` lines, `#` comments, blank lines;
 * values may be double-quoted. name is used in messages. */
int watchd_config_parse(watchd_config *c, const char *text, const char *name, omsi_error *err);

/* Receives one problem (a message naming file and line) of parse_each. */
typedef void (*watchd_config_problem_fn)(void *ctx, const char *message);

/* Parses config text like watchd_config_parse but goes on after a bad line:
 * each one is passed to report. Returns the number of bad lines, -1 when
 * out of memory. */
int watchd_config_parse_each(watchd_config *c, const char *text, const char *name,
                             watchd_config_problem_fn report, void *ctx);

/* Reads and parses a config file (at most 1 MiB). */
int watchd_config_load(watchd_config *c, const char *path, omsi_error *err);

/* Checks that everything needed is set (OMSI_ERR_USAGE otherwise). */
int watchd_config_validate(const watchd_config *c, omsi_error *err);

/* One setting given on the command line (key as in the file). */
typedef struct watchd_setting {
    const char *key;
    const char *value;
} watchd_setting;

/* How the daemon was started: replayed over the config file on SIGHUP. */
typedef struct watchd_invocation {
    const char *config_path;
    watchd_setting settings[64];
    size_t n_settings;
    bool once;
    int verbosity; /* -1 quiet, 0 default, 1 verbose */
} watchd_invocation;

/* Defaults, then the config file, then the command line, then validation.
 * Errors other than I/O and memory are usage errors (exit 2). */
int watchd_config_build(const watchd_invocation *cli, watchd_config *cfg, omsi_error *err);

/* Parses a log level name: error, warning, notice, info, debug. -1 if unknown. */
int watchd_log_level_from_name(const char *name);

#endif
