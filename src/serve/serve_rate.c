#include "serve/serve_rate.h"

#include <stdio.h>
#include <string.h>

void serve_rate_init(serve_rate *r, double per_second, double burst)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->per_second = per_second;
    r->burst = burst < 1 ? 1 : burst;
}

void serve_rate_destroy(serve_rate *r) { pthread_mutex_destroy(&r->lock); }

static size_t hash(const char *s)
{
    size_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

bool serve_rate_allow(serve_rate *r, const char *client, double now)
{
    if (r->per_second <= 0)
        return true;
    enum { PROBE = 8 };
    char key[SERVE_RATE_KEY];
    snprintf(key, sizeof key, "%s", client);
    pthread_mutex_lock(&r->lock);
    size_t start = hash(key) % SERVE_RATE_SLOTS;
    serve_rate_slot *slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < PROBE && !slot; i++) {
        serve_rate_slot *s = &r->slots[(start + i) % SERVE_RATE_SLOTS];
        if (strcmp(s->key, key) == 0)
            slot = s;
        else if (!oldest || s->last < oldest->last)
            oldest = s;
    }
    if (!slot) { /* a new client (or one forgotten): a full bucket */
        slot = oldest;
        snprintf(slot->key, sizeof slot->key, "%s", key);
        slot->tokens = r->burst;
        slot->last = now;
    }
    double elapsed = now > slot->last ? now - slot->last : 0;
    slot->tokens += elapsed * r->per_second;
    if (slot->tokens > r->burst)
        slot->tokens = r->burst;
    slot->last = now;
    bool ok = slot->tokens >= 1;
    if (ok)
        slot->tokens -= 1;
    pthread_mutex_unlock(&r->lock);
    return ok;
}
