#include "base/omsi_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int omsi_error_set(omsi_error *err, omsi_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

int omsi_error_errno(omsi_error *err, omsi_status status, int errno_value,
                     const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof err->message)
            snprintf(err->message + n, sizeof err->message - (size_t)n, ": %s",
                     strerror(errno_value));
        err->status = status;
    }
    return status;
}

void omsi_error_prefix(omsi_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[OMSI_ERROR_MESSAGE_MAX];
    char old[OMSI_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* Truncation of an over-long message is acceptable. */
    if (snprintf(err->message, sizeof err->message, "%s: %s", prefix, old) < 0)
        err->message[0] = '\0';
}

void omsi_error_clear(omsi_error *err)
{
    if (err) {
        err->status = OMSI_OK;
        err->message[0] = '\0';
    }
}

const char *omsi_status_name(omsi_status status)
{
    switch (status) {
    case OMSI_OK: return "ok";
    case OMSI_ERR_IO: return "io";
    case OMSI_ERR_NOT_FORMAT: return "not-format";
    case OMSI_ERR_FORMAT: return "format";
    case OMSI_ERR_UNSUPPORTED: return "unsupported";
    case OMSI_ERR_NOMEM: return "nomem";
    case OMSI_ERR_USAGE: return "usage";
    case OMSI_ERR_INCOMPLETE: return "incomplete";
    case OMSI_ERR_CANCELLED: return "cancelled";
    case OMSI_ERR_HDF5: return "hdf5";
    case OMSI_ERR_DB: return "db";
    case OMSI_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}

int omsi_exit_code(omsi_status status)
{
    if (status == OMSI_OK)
        return 0;
    if (status == OMSI_ERR_USAGE)
        return 2;
    return 1;
}
