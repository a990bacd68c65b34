/* systemd notifications (READY, RELOADING, STOPPING, STATUS, WATCHDOG) via
 * libsystemd's sd_notify. All are no-ops outside systemd (NOTIFY_SOCKET unset). */
#ifndef OMSI_WATCHD_NOTIFY_H
#define OMSI_WATCHD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct watchd_notifier {
    uint64_t watchdog_usec;   /* 0 = no watchdog */
    double last_ping;         /* monotonic seconds */
} watchd_notifier;

void watchd_notify_init(watchd_notifier *n);
void watchd_notify_ready(const char *status);
void watchd_notify_reloading(void);
void watchd_notify_stopping(void);
void watchd_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Pings the watchdog when half its interval has passed (now: monotonic seconds). */
void watchd_notify_watchdog(watchd_notifier *n, double now);
/* Seconds until the next watchdog ping is due (a poll timeout bound); large if none. */
double watchd_notify_next(const watchd_notifier *n, double now);

#endif
