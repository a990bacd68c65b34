/* Logging to stderr. Under systemd (JOURNAL_STREAM set, or forced) each line
 * starts with a syslog priority prefix "<N>" that journald understands. The
 * logger is a plain value created in main() and passed down; there is no
 * global logging state. A NULL logger logs warnings and worse to stderr. */
#ifndef OMSI_LOG_H
#define OMSI_LOG_H

#include <stdbool.h>

typedef enum omsi_log_priority {
    OMSI_LOG_ERR = 3,
    OMSI_LOG_WARNING = 4,
    OMSI_LOG_NOTICE = 5,
    OMSI_LOG_INFO = 6,
    OMSI_LOG_DEBUG = 7
} omsi_log_priority;

typedef struct omsi_logger {
    const char *program;     /* prefix of every line, e.g. "omsi-watchd" */
    int max_priority;        /* lines with priority > this are dropped */
    bool journald_prefixes;  /* write "<N>" prefixes instead of "warning: " */
} omsi_logger;

/* program name, verbosity (OMSI_LOG_*), prefixes if JOURNAL_STREAM is set. */
omsi_logger omsi_logger_make(const char *program, int max_priority);

void omsi_log(const omsi_logger *log, omsi_log_priority priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
