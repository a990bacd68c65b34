#include "base/omsi_escape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (2-4) that is safe to print, or 0
 * when it is invalid, overlong, a surrogate, a C1 control (U+0080-U+009F,
 * which some terminals obey like ESC) or an invisible direction override
 * (U+200E/F, U+202A-U+202E, U+2066-U+2069: "trojan source"). */
static size_t printable_utf8(const unsigned char *p)
{
    size_t n;
    uint32_t cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        cp = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    if (cp >= 0xd800 && cp <= 0xdfff)
        return 0;
    if (cp <= 0x9f || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029)
        return 0;
    return n;
}

/* The escape of one byte that is not printed as itself, in buf (>= 5). */
static size_t escape_byte(unsigned char c, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    buf[0] = '\\';
    switch (c) {
    case '\n': buf[1] = 'n'; return 2;
    case '\t': buf[1] = 't'; return 2;
    case '\r': buf[1] = 'r'; return 2;
    case 0x1b: buf[1] = 'e'; return 2;
    case '\\': buf[1] = '\\'; return 2;
    default:
        buf[1] = 'x';
        buf[2] = hex[c >> 4];
        buf[3] = hex[c & 15];
        return 4;
    }
}

size_t omsi_escape(char *out, size_t size, const char *text)
{
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    size_t need = 0, o = 0;
    bool full = size == 0;
    while (*p) {
        char buf[8];
        const char *piece = (const char *)p;
        size_t n, advance;
        if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
            n = advance = 1;
        } else if (*p >= 0x80 && (n = printable_utf8(p)) > 0) {
            advance = n;
        } else {
            n = escape_byte(*p, buf);
            piece = buf;
            advance = 1;
        }
        if (!full && o + n < size) {
            memcpy(out + o, piece, n);
            o += n;
        } else {
            full = true;
        }
        need += n;
        p += advance;
    }
    if (size)
        out[o] = '\0';
    return need;
}

char *omsi_escape_dup(const char *text)
{
    size_t n = omsi_escape(NULL, 0, text);
    char *out = malloc(n + 1);
    if (out)
        omsi_escape(out, n + 1, text);
    return out;
}

bool omsi_needs_escape(const char *text)
{
    return text && omsi_escape(NULL, 0, text) != strlen(text);
}

void omsi_escape_fputs(const char *text, FILE *out)
{
    char small[512];
    size_t n = omsi_escape(small, sizeof small, text);
    if (n < sizeof small) {
        fputs(small, out);
        return;
    }
    char *big = omsi_escape_dup(text);
    fputs(big ? big : small, out);
    free(big);
}

static bool utf8_continuation(char c) { return ((unsigned char)c & 0xc0) == 0x80; }

size_t omsi_copy_middle(char *out, size_t size, const char *text)
{
    static const char marker[] = "...";
    size_t n = strlen(text);
    if (size == 0)
        return n;
    if (n < size) {
        memcpy(out, text, n + 1);
        return n;
    }
    if (size < sizeof marker + 2) { /* no room for both ends */
        memcpy(out, text, size - 1);
        out[size - 1] = '\0';
        return n;
    }
    size_t room = size - 1 - (sizeof marker - 1);
    size_t head = room / 2, tail = room - head;
    while (head > 0 && utf8_continuation(text[head]))
        head--;
    size_t from = n - tail;
    while (from < n && utf8_continuation(text[from]))
        from++;
    memcpy(out, text, head);
    memcpy(out + head, marker, sizeof marker - 1);
    memcpy(out + head + sizeof marker - 1, text + from, n - from + 1);
    return n;
}

char *omsi_vformat_alloc(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    char *out = malloc((size_t)n + 1);
    if (out)
        vsnprintf(out, (size_t)n + 1, fmt, ap);
    return out;
}
