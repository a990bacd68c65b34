#include "serve/serve_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void serve_reply_json(serve_reply *r, unsigned status, json_object *doc)
{
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t n = strlen(text);
    char *body = malloc(n + 1);
    if (!body) {
        json_object_put(doc);
        static const char oom[] = "{\"error\":\"out of memory\",\"status\":500}";
        *r = (serve_reply){.status = 500, .content_type = "application/json", .body = (void *)oom,
                           .size = sizeof oom - 1, .body_static = true};
        return;
    }
    memcpy(body, text, n + 1);
    json_object_put(doc);
    *r = (serve_reply){.status = status, .content_type = "application/json", .body = body, .size = n};
}

void serve_reply_error(serve_reply *r, unsigned status, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(message));
    json_object_object_add(o, "status", json_object_new_int((int)status));
    serve_reply_json(r, status, o);
}

void serve_reply_png(serve_reply *r, unsigned char *png, size_t bytes)
{
    *r = (serve_reply){.status = 200, .content_type = "image/png", .body = png, .size = bytes};
}

void serve_reply_free(serve_reply *r)
{
    if (!r->body_static)
        free(r->body);
    r->body = NULL;
}
