/* The per-client rate limit: a token bucket per client address (a small
 * table; the least recently seen client gives way when it is full). Time is
 * passed in, so the tests need no clock. Thread-safe (one mutex). */
#ifndef OMSI_SERVE_RATE_H
#define OMSI_SERVE_RATE_H

#include <pthread.h>
#include <stdbool.h>

enum { SERVE_RATE_SLOTS = 256, SERVE_RATE_KEY = 48 };

typedef struct serve_rate_slot {
    char key[SERVE_RATE_KEY];
    double tokens, last;
} serve_rate_slot;

typedef struct serve_rate {
    pthread_mutex_t lock;
    double per_second, burst; /* per_second 0: no limit */
    serve_rate_slot slots[SERVE_RATE_SLOTS];
} serve_rate;

void serve_rate_init(serve_rate *r, double per_second, double burst);
void serve_rate_destroy(serve_rate *r);

/* Takes one token of client's bucket at time now (seconds); false when it is
 * empty (answer 429). */
bool serve_rate_allow(serve_rate *r, const char *client, double now);

#endif
