/* What a request handler answers, before any HTTP library sees it: a status,
 * a content type and a body (malloc'ed, or static for the page). */
#ifndef OMSI_SERVE_REPLY_H
#define OMSI_SERVE_REPLY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct serve_reply {
    unsigned status;
    const char *content_type;
    void *body;
    size_t size;
    bool body_static;         /* the page, served from memory: not freed */
} serve_reply;

/* The document as compact JSON (doc is released). */
void serve_reply_json(serve_reply *r, unsigned status, json_object *doc);

/* {"error": message, "status": N} */
void serve_reply_error(serve_reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Takes ownership of a malloc'ed PNG. */
void serve_reply_png(serve_reply *r, unsigned char *png, size_t bytes);

void serve_reply_free(serve_reply *r);

#endif
