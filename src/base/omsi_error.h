/* Error reporting shared by every module.
 *
 * Functions return 0 on success or a negative omsi_status; the details go
 * into an omsi_error the caller owns (usually on its stack). Messages name
 * the file and what is wrong, e.g. "Analyze75.img: 801680 bytes, expected
 * 801684 (3 x 3 x 44538 x 2)". */
#ifndef OMSI_ERROR_H
#define OMSI_ERROR_H

#include <stddef.h>

typedef enum omsi_status {
    OMSI_OK = 0,
    OMSI_ERR_IO = -1,          /* open/read/write/stat failed */
    OMSI_ERR_NOT_FORMAT = -2,  /* the input is not of the requested format */
    OMSI_ERR_FORMAT = -3,      /* the right format, but malformed or inconsistent */
    OMSI_ERR_UNSUPPORTED = -4, /* valid input using a feature we do not implement */
    OMSI_ERR_NOMEM = -5,       /* allocation failed or would exceed a limit */
    OMSI_ERR_USAGE = -6,       /* bad argument from the caller or the user */
    OMSI_ERR_INCOMPLETE = -7,  /* dataset still being written (companions missing, short file) */
    OMSI_ERR_CANCELLED = -8,   /* stopped by a signal or a cancel flag */
    OMSI_ERR_HDF5 = -9,        /* the HDF5 library reported an error */
    OMSI_ERR_DB = -10,         /* the catalog database reported an error */
    OMSI_ERR_INTERNAL = -11,   /* a bug: an invariant did not hold */
    OMSI_ERR_DB_UNAVAILABLE = -12 /* cannot reach the catalog server (outage, lost connection): retry later */
} omsi_status;

/* A longer message keeps its start and end: the middle becomes "...". */
#define OMSI_ERROR_MESSAGE_MAX 4096

typedef struct omsi_error {
    omsi_status status;
    char message[OMSI_ERROR_MESSAGE_MAX];
} omsi_error;

/* Sets status and message (printf-style) and returns status, so that
 *   return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: bad magic", path);
 * works. err may be NULL. */
int omsi_error_set(omsi_error *err, omsi_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like omsi_error_set, appending ": strerror(errno_value)". */
int omsi_error_errno(omsi_error *err, omsi_status status, int errno_value,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prepends "prefix: " to the current message (keeps the status). */
void omsi_error_prefix(omsi_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void omsi_error_clear(omsi_error *err);

/* Short stable name of a status ("format", "io", ...), for logs and JSON. */
const char *omsi_status_name(omsi_status status);

/* Exit code convention of every program: 0 ok, 1 failure, 2 usage error. */
int omsi_exit_code(omsi_status status);

#endif
