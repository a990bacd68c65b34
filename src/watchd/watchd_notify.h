/* systemd notifications (READY, RELOADING, STOPPING, STATUS, WATCHDOG) via
 * libsystemd's sd_notify. All are no-ops outside systemd (NOTIFY_SOCKET unset).
 * STATUS= updates are rate-limited: at most one a second, identical texts
 * skipped; a newer text held back is sent once the second is over (by
 * watchd_notify_watchdog, which the event loop calls every turn, and which
 * watchd_notify_next wakes it for) or on stop. */
#ifndef OMSI_WATCHD_NOTIFY_H
#define OMSI_WATCHD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Shortest time between two STATUS= messages, in seconds. */
#define WATCHD_STATUS_INTERVAL 1.0

typedef struct watchd_notifier {
    uint64_t watchdog_usec;   /* 0 = no watchdog */
    double last_ping;         /* monotonic seconds */
    char sent[2048];          /* the STATUS= text systemd shows now (escaped) */
    char pending[2048];       /* a newer text held back; "" = none */
    double last_status;       /* when a rate-limited STATUS= was last sent */
    bool status_sent;         /* last_status is set */
} watchd_notifier;

void watchd_notify_init(watchd_notifier *n);
void watchd_notify_ready(watchd_notifier *n, const char *status);
void watchd_notify_reloading(watchd_notifier *n);
/* Sends the held-back status now, if any (a --once run that ends). */
void watchd_notify_flush(watchd_notifier *n);
/* Sends the held-back status first, then STOPPING=1. */
void watchd_notify_stopping(watchd_notifier *n);
/* now: monotonic seconds. */
void watchd_notify_status(watchd_notifier *n, double now, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Pings the watchdog when half its interval has passed, and sends a
 * held-back status once its second is over (now: monotonic seconds). */
void watchd_notify_watchdog(watchd_notifier *n, double now);
/* Seconds until a watchdog ping or a held-back status is due (a poll
 * timeout bound); large if none. */
double watchd_notify_next(const watchd_notifier *n, double now);

#endif
