#include "serve/serve_routes.h"

#include <stdio.h>
#include <string.h>

bool serve_parse_id(const char *text, size_t len, int64_t *out)
{
    if (len == 0 || len > 19 || text[0] == '0')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(text[i] - '0'); /* 19 digits fit in uint64 */
    }
    if (v > INT64_MAX)
        return false;
    *out = (int64_t)v;
    return true;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t serve_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        int hi, lo;
        if (r[0] == '%' && (hi = hex(r[1])) >= 0 && (lo = hex(r[2])) >= 0 && (hi || lo)) {
            *w++ = (char)(hi * 16 + lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static unsigned refuse(unsigned status, char *why, size_t size, const char *reason)
{
    snprintf(why, size, "%s", reason);
    return status;
}

/* Every segment non-empty, not "." or "..", made of plain printable ASCII. */
static unsigned check_path(const char *path, char *why, size_t size)
{
    size_t n = strnlen(path, SERVE_MAX_PATH + 1);
    if (n > SERVE_MAX_PATH)
        return refuse(414, why, size, "the path is too long");
    if (path[0] != '/')
        return refuse(400, why, size, "the path does not start with '/'");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c >= 0x7f)
            return refuse(400, why, size, "the path holds a control or non-ASCII byte");
        if (c == '%' || c == '\\')
            return refuse(400, why, size, "the path holds '%' or '\\' (an encoded NUL or a malformed escape)");
    }
    if (n == 1)
        return 0;
    for (const char *seg = path + 1;;) {
        size_t len = strcspn(seg, "/");
        if (len == 0 && seg[len] == '/')
            return refuse(400, why, size, "the path holds an empty segment");
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return refuse(400, why, size, "the path holds a '.' or '..' segment");
        if (!seg[len])
            return 0;
        seg += len + 1;
    }
}

unsigned serve_route_parse(const char *path, serve_route *out, char *why, size_t why_size)
{
    unsigned status = check_path(path, why, why_size);
    if (status)
        return status;
    *out = (serve_route){.kind = SERVE_ROUTE_PAGE};
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
        return 0;
    if (strcmp(path, "/api/stats") == 0) {
        out->kind = SERVE_ROUTE_STATS;
        return 0;
    }
    static const char prefix[] = "/api/datasets";
    if (strncmp(path, prefix, sizeof prefix - 1) != 0)
        return refuse(404, why, why_size, "no such page or API endpoint");
    const char *rest = path + sizeof prefix - 1;
    if (!*rest) {
        out->kind = SERVE_ROUTE_DATASETS;
        return 0;
    }
    if (*rest != '/')
        return refuse(404, why, why_size, "no such page or API endpoint");
    rest++;
    size_t len = strcspn(rest, "/");
    if (!serve_parse_id(rest, len, &out->id))
        return refuse(400, why, why_size, "a dataset ID is a positive integer (the source_id of /api/datasets)");
    const char *tail = rest + len;
    static const struct {
        const char *name;
        serve_route_kind kind;
    } subs[] = {
        {"", SERVE_ROUTE_DATASET},
        {"/image.png", SERVE_ROUTE_IMAGE},
        {"/spectrum.json", SERVE_ROUTE_SPECTRUM},
        {"/thumbnail.png", SERVE_ROUTE_THUMBNAIL},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(tail, subs[i].name) == 0) {
            out->kind = subs[i].kind;
            return 0;
        }
    return refuse(404, why, why_size, "no such API endpoint under /api/datasets/ID");
}
