/* systemd notifications (see watchd_notify.h). */
#include "watchd/watchd_notify.h"
#include "base/omsi_escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

void watchd_notify_init(watchd_notifier *n)
{
    n->watchdog_usec = 0;
    n->last_ping = 0;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0)
        n->watchdog_usec = usec;
}

void watchd_notify_ready(const char *status)
{
    sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void watchd_notify_reloading(void) { sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration"); }

void watchd_notify_stopping(void) { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

void watchd_notify_status(const char *fmt, ...)
{
    char status[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(status, sizeof status, fmt, ap);
    va_end(ap);
    /* escaped: a newline would start another sd_notify assignment */
    char line[sizeof status * 4];
    omsi_escape(line, sizeof line, status);
    sd_notifyf(0, "STATUS=%s", line);
}

void watchd_notify_watchdog(watchd_notifier *n, double now)
{
    if (n->watchdog_usec == 0)
        return;
    if (now - n->last_ping >= n->watchdog_usec / 2e6) {
        sd_notify(0, "WATCHDOG=1");
        n->last_ping = now;
    }
}

double watchd_notify_next(const watchd_notifier *n, double now)
{
    if (n->watchdog_usec == 0)
        return 3600;
    double due = n->last_ping + n->watchdog_usec / 2e6 - now;
    return due > 0 ? due : 0;
}
