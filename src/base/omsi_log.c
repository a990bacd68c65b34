#include "base/omsi_log.h"
#include "base/omsi_escape.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

bool omsi_log_fd_is_journal(const char *journal_stream, int fd)
{
    /* systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected; a
     * child whose stderr was redirected (a pipe, a file, a terminal) still
     * inherits the variable, and must not get "<N>" prefixes then. */
    if (!journal_stream)
        return false;
    uintmax_t dev, ino;
    char end;
    if (sscanf(journal_stream, "%ju:%ju%c", &dev, &ino, &end) != 2)
        return false;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return false;
    return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

omsi_logger omsi_logger_make(const char *program, int max_priority)
{
    omsi_logger log = {
        .program = program,
        .max_priority = max_priority,
        .journald_prefixes = omsi_log_fd_is_journal(getenv("JOURNAL_STREAM"), 2),
    };
    return log;
}

static const char *priority_word(omsi_log_priority priority)
{
    switch (priority) {
    case OMSI_LOG_ERR: return "error: ";
    case OMSI_LOG_WARNING: return "warning: ";
    case OMSI_LOG_NOTICE: return "";
    case OMSI_LOG_INFO: return "";
    case OMSI_LOG_DEBUG: return "debug: ";
    }
    return "";
}

/* Longest line written; a longer message keeps its start and end. */
enum { LOG_LINE_MAX = 8192 };

void omsi_log(const omsi_logger *log, omsi_log_priority priority, const char *fmt, ...)
{
    int max = log ? log->max_priority : OMSI_LOG_WARNING;
    if ((int)priority > max)
        return;
    /* Every message is escaped: a file name with a newline or an ESC must
     * not forge a log line or drive the terminal. */
    char line[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    char *text = omsi_vformat_alloc(fmt, ap);
    va_end(ap);
    char *escaped = text ? omsi_escape_dup(text) : NULL;
    if (escaped) {
        omsi_copy_middle(line, sizeof line, escaped);
    } else { /* out of memory: the start, still escaped */
        char raw[LOG_LINE_MAX];
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        omsi_escape(line, sizeof line, raw);
    }
    free(escaped);
    free(text);
    const char *program = log && log->program ? log->program : "omsi";
    /* One fprintf per line so that concurrent writers do not interleave. */
    if (log && log->journald_prefixes)
        fprintf(stderr, "<%d>%s\n", (int)priority, line);
    else
        fprintf(stderr, "%s: %s%s\n", program, priority_word(priority), line);
}
