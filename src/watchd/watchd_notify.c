/* systemd notifications (see watchd_notify.h). */
#include "watchd/watchd_notify.h"
#include "base/omsi_escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

void watchd_notify_init(watchd_notifier *n)
{
    memset(n, 0, sizeof *n);
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0)
        n->watchdog_usec = usec;
}

/* Lifecycle messages are never held back; what they set as STATUS= is what
 * systemd shows, so the next status is compared with it. */
static void lifecycle(watchd_notifier *n, const char *assignments, const char *status)
{
    sd_notifyf(0, "%sSTATUS=%s", assignments, status);
    snprintf(n->sent, sizeof n->sent, "%s", status);
}

void watchd_notify_ready(watchd_notifier *n, const char *status) { lifecycle(n, "READY=1\n", status); }

void watchd_notify_reloading(watchd_notifier *n)
{
    lifecycle(n, "RELOADING=1\n", "reloading the configuration");
}

static void send_status(watchd_notifier *n, const char *line, double now)
{
    sd_notifyf(0, "STATUS=%s", line);
    snprintf(n->sent, sizeof n->sent, "%s", line);
    n->pending[0] = '\0';
    n->last_status = now;
    n->status_sent = true;
}

void watchd_notify_flush(watchd_notifier *n)
{
    if (n->pending[0]) {
        char line[sizeof n->pending];
        memcpy(line, n->pending, sizeof line);
        send_status(n, line, n->last_status);
    }
}

void watchd_notify_stopping(watchd_notifier *n)
{
    watchd_notify_flush(n);
    lifecycle(n, "STOPPING=1\n", "stopping");
}

void watchd_notify_status(watchd_notifier *n, double now, const char *fmt, ...)
{
    char status[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(status, sizeof status, fmt, ap);
    va_end(ap);
    /* escaped: a newline would start another sd_notify assignment */
    char line[sizeof n->sent];
    omsi_escape(line, sizeof line, status);
    if (strcmp(line, n->sent) == 0) {
        n->pending[0] = '\0'; /* back to what systemd shows: nothing to send */
        return;
    }
    if (!n->status_sent || now - n->last_status >= WATCHD_STATUS_INTERVAL)
        send_status(n, line, now);
    else
        snprintf(n->pending, sizeof n->pending, "%s", line);
}

void watchd_notify_watchdog(watchd_notifier *n, double now)
{
    if (n->pending[0] && now - n->last_status >= WATCHD_STATUS_INTERVAL) {
        char line[sizeof n->pending];
        memcpy(line, n->pending, sizeof line);
        send_status(n, line, now);
    }
    if (n->watchdog_usec == 0)
        return;
    if (now - n->last_ping >= n->watchdog_usec / 2e6) {
        sd_notify(0, "WATCHDOG=1");
        n->last_ping = now;
    }
}

double watchd_notify_next(const watchd_notifier *n, double now)
{
    double due = 3600;
    if (n->watchdog_usec != 0)
        due = n->last_ping + n->watchdog_usec / 2e6 - now;
    if (n->pending[0]) {
        double status_due = n->last_status + WATCHD_STATUS_INTERVAL - now;
        if (status_due < due)
            due = status_due;
    }
    return due > 0 ? due : 0;
}
