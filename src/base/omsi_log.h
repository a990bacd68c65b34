/* Logging to stderr. When stderr is the journal (JOURNAL_STREAM names its
 * device:inode, or forced) each line
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

/* program name, verbosity (OMSI_LOG_*), prefixes if stderr is the journal. */
omsi_logger omsi_logger_make(const char *program, int max_priority);

/* True when journal_stream ("DEV:INODE", the value of JOURNAL_STREAM, may be
 * NULL) names the file fd is open on. */
bool omsi_log_fd_is_journal(const char *journal_stream, int fd);

void omsi_log(const omsi_logger *log, omsi_log_priority priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
