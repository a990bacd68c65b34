#include "base/omsi_error.h"
#include "base/omsi_escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets err->message to head + tail (tail may be NULL), shortening the
 * middle when too long: the start names what failed, the end says why. */
static void set_message(omsi_error *err, const char *head, const char *tail)
{
    if (!tail) {
        omsi_copy_middle(err->message, sizeof err->message, head);
        return;
    }
    size_t a = strlen(head), b = strlen(tail);
    char *both = malloc(a + b + 1);
    if (!both) { /* keep the reason rather than the start */
        omsi_copy_middle(err->message, sizeof err->message, tail);
        return;
    }
    memcpy(both, head, a);
    memcpy(both + a, tail, b + 1);
    omsi_copy_middle(err->message, sizeof err->message, both);
    free(both);
}

/* Formats fmt into err->message whatever its length, then appends tail. */
static void vformat_message(omsi_error *err, const char *tail, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    char *text = omsi_vformat_alloc(fmt, copy);
    va_end(copy);
    if (text) {
        set_message(err, text, tail);
        free(text);
        return;
    }
    /* Out of memory: the start only. */
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    if (tail && n >= 0 && (size_t)n < sizeof err->message)
        snprintf(err->message + n, sizeof err->message - (size_t)n, "%s", tail);
}

int omsi_error_set(omsi_error *err, omsi_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vformat_message(err, NULL, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

int omsi_error_errno(omsi_error *err, omsi_status status, int errno_value,
                     const char *fmt, ...)
{
    if (err) {
        char reason[256];
        snprintf(reason, sizeof reason, ": %s", strerror(errno_value));
        va_list ap;
        va_start(ap, fmt);
        vformat_message(err, reason, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void omsi_error_prefix(omsi_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char old[OMSI_ERROR_MESSAGE_MAX + 2];
    old[0] = ':';
    old[1] = ' ';
    memcpy(old + 2, err->message, sizeof err->message);
    old[sizeof old - 1] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vformat_message(err, old, fmt, ap);
    va_end(ap);
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
    case OMSI_ERR_DB_UNAVAILABLE: return "db-unavailable";
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
