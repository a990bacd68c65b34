#include "readers/xml_divert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Runs shorter than this go to libxml2: the marker and the fetch would
 * cost more than they save. */
enum { MIN_RUN = 256 };

enum state {
    S_TEXT,    /* content or inside a tag: the next '<' starts markup */
    S_LT,      /* after '<' */
    S_BANG,    /* after "<!": "--" or "[CDATA[" follows */
    S_COMMENT, /* until "-->" */
    S_CDATA,   /* until "]]>" */
    S_PI,      /* until "?>" */
    S_TAG,     /* "<b" so far, "inary>" may follow */
    S_RUN      /* the text after "<binary>" */
};

static const char cdata_open[] = "[CDATA[";
static const char binary_rest[] = "inary>";

int xml_divert_init(xml_divert *d, int fd)
{
    /* its own descriptor: libxml2 may close the one it reads at the end of
     * the document, before the last run is fetched */
    *d = (xml_divert){.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0), .state = S_TEXT};
    if (d->fd < 0)
        return -1;
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        /* no entropy yet: a marker still needs the document to guess it */
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        r = (uint64_t)t.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)t.tv_sec ^ (uint64_t)getpid() << 32 ^
            (uint64_t)(uintptr_t)d;
    }
    snprintf(d->nonce, sizeof d->nonce, "%016llx", (unsigned long long)r);
    return 0;
}

void xml_divert_free(xml_divert *d)
{
    if (d->fd >= 0)
        close(d->fd);
    free(d->out);
    free(d->runs);
    *d = (xml_divert){.fd = -1};
}

static int reserve(xml_divert *d, size_t more)
{
    if (d->out_pos == d->out_len)
        d->out_pos = d->out_len = 0;
    if (d->out_len + more <= d->out_cap)
        return 0;
    if (d->out_pos) { /* the taken part goes first */
        memmove(d->out, d->out + d->out_pos, d->out_len - d->out_pos);
        d->out_len -= d->out_pos;
        d->out_pos = 0;
        if (d->out_len + more <= d->out_cap)
            return 0;
    }
    size_t cap = d->out_cap ? d->out_cap : 65536;
    while (cap < d->out_len + more)
        cap *= 2;
    char *p = realloc(d->out, cap);
    if (!p)
        return -1;
    d->out = p;
    d->out_cap = cap;
    return 0;
}

static int emit(xml_divert *d, const void *bytes, size_t n)
{
    if (n == 0)
        return 0;
    if (reserve(d, n))
        return -1;
    memcpy(d->out + d->out_len, bytes, n);
    d->out_len += n;
    return 0;
}

/* The bytes [from, to) of the file, from buf where they are still in it. */
static int emit_range(xml_divert *d, const unsigned char *buf, uint64_t at, uint64_t from, uint64_t to)
{
    if (from == to)
        return 0;
    if (from >= at)
        return emit(d, buf + (from - at), (size_t)(to - from));
    if (reserve(d, (size_t)(to - from)))
        return -1;
    for (uint64_t done = from; done < to;) {
        ssize_t n = pread(d->fd, d->out + d->out_len, (size_t)(to - done), (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        d->out_len += (size_t)n;
        done += (uint64_t)n;
    }
    return 0;
}

/* Whether c is a base64 character, a space, a tab or a newline. */
static inline unsigned char plain_byte(unsigned char c)
{
    unsigned char letter = (unsigned char)((c | 0x20) - 'a') < 26, digit = (unsigned char)(c - '0') < 10;
    return letter | digit | (c == '+') | (c == '/') | (c == '=') | (c == ' ') | (c == '\t') | (c == '\n');
}

#ifdef __SSE2__
#include <emmintrin.h>

/* 16 bytes at a time: the bytes that are not plain_byte, as a bit mask. */
static inline unsigned not_plain16(const unsigned char *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)s);
    __m128i lower = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    __m128i digit = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    /* x <= k unsigned: min(x, k) == x */
    __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(lower, _mm_set1_epi8(25)), lower),
                              _mm_cmpeq_epi8(_mm_min_epu8(digit, _mm_set1_epi8(9)), digit));
    ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')), _mm_cmpeq_epi8(v, _mm_set1_epi8('/'))));
    ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')), _mm_cmpeq_epi8(v, _mm_set1_epi8(' '))));
    ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
    return (unsigned)_mm_movemask_epi8(ok) ^ 0xFFFFu;
}
#endif

/* Whether the bytes are all base64 characters or space, tab and newline
 * (the text libxml2 would hand over unchanged), and their newlines. This
 * runs over every byte of an mzML's arrays: 16 at a time with SSE2 (a
 * plain loop over the bytes was over half of an mzML conversion, and GCC
 * does not vectorise it at -O2); newlines are rare and found with memchr. */
static bool plain_base64(const unsigned char *s, size_t n, uint64_t *newlines)
{
    unsigned bad = 0;
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16)
        bad |= not_plain16(s + i);
#endif
    for (; i < n; i++)
        bad |= plain_byte(s[i]) ^ 1u;
    for (const unsigned char *p = memchr(s, '\n', n); p; p = memchr(p + 1, '\n', n - (size_t)(p + 1 - s)))
        (*newlines)++;
    return !bad;
}

static int push_run(xml_divert *d, uint64_t offset, uint64_t length, uint64_t *seq)
{
    if (d->first_run > 64 && d->first_run * 2 > d->n_runs) {
        memmove(d->runs, d->runs + d->first_run, (d->n_runs - d->first_run) * sizeof *d->runs);
        d->n_runs -= d->first_run;
        d->first_run = 0;
    }
    if (d->n_runs == d->runs_cap) {
        size_t cap = d->runs_cap ? 2 * d->runs_cap : 64;
        xml_divert_run *r = realloc(d->runs, cap * sizeof *r);
        if (!r)
            return -1;
        d->runs = r;
        d->runs_cap = cap;
    }
    *seq = d->next_seq++;
    d->runs[d->n_runs++] = (xml_divert_run){*seq, offset, length};
    return 0;
}

/* The run [run_start, end) is complete: a marker, or its own bytes. */
static int end_run(xml_divert *d, const unsigned char *buf, uint64_t at, uint64_t end)
{
    uint64_t length = end - d->run_start;
    if (!d->run_plain || length < MIN_RUN)
        return emit_range(d, buf, at, d->run_start, end);
    uint64_t seq;
    char marker[64];
    if (push_run(d, d->run_start, length, &seq))
        return -1;
    int n = snprintf(marker, sizeof marker, "!%s:%llu", d->nonce, (unsigned long long)seq);
    if (emit(d, marker, (size_t)n))
        return -1;
    for (uint64_t k = 0; k < d->run_newlines; k++)
        if (emit(d, "\n", 1))
            return -1;
    return 0;
}

int xml_divert_feed(xml_divert *d, const unsigned char *buf, size_t n, uint64_t at)
{
    size_t i = 0, copied = 0; /* buf[copied, i) is still to be emitted as it is */
    while (i < n) {
        unsigned char c = buf[i];
        switch (d->state) {
        case S_TEXT: {
            const unsigned char *lt = memchr(buf + i, '<', n - i);
            if (!lt) {
                i = n;
                continue;
            }
            i = (size_t)(lt - buf) + 1;
            d->state = S_LT;
            continue;
        }
        case S_LT:
            d->state = c == '!' ? S_BANG : c == '?' ? S_PI : c == 'b' ? S_TAG : S_TEXT;
            d->matched = 0;
            if (c == '<')
                continue; /* read again in S_TEXT */
            break;
        case S_BANG:
            /* "--" after "<!" is a comment; "[CDATA[" a CDATA section */
            if (d->matched == 0 && c == '-') {
                d->matched = 100; /* one '-' */
            } else if (d->matched == 100) {
                d->state = c == '-' ? S_COMMENT : S_TEXT;
                d->matched = 0;
            } else if (d->matched < 100 && c == (unsigned char)cdata_open[d->matched]) {
                if (++d->matched == sizeof cdata_open - 1) {
                    d->state = S_CDATA;
                    d->matched = 0;
                }
            } else {
                d->state = S_TEXT;
                continue; /* c may be '<' */
            }
            break;
        case S_COMMENT: /* matched: dashes in a row */
            if (c == '>' && d->matched >= 2)
                d->state = S_TEXT;
            d->matched = c == '-' ? (uint8_t)(d->matched < 2 ? d->matched + 1 : 2) : 0;
            break;
        case S_CDATA: /* matched: ']' in a row */
            if (c == '>' && d->matched >= 2)
                d->state = S_TEXT;
            d->matched = c == ']' ? (uint8_t)(d->matched < 2 ? d->matched + 1 : 2) : 0;
            break;
        case S_PI:
            if (c == '>' && d->matched)
                d->state = S_TEXT;
            d->matched = c == '?';
            break;
        case S_TAG:
            if (c != (unsigned char)binary_rest[d->matched]) {
                d->state = S_TEXT;
                continue; /* c may be '<' */
            }
            if (++d->matched == sizeof binary_rest - 1) {
                /* "<binary>": what follows up to the next '<' is the run */
                i++;
                if (emit(d, buf + copied, i - copied))
                    return -1;
                copied = i;
                d->state = S_RUN;
                d->run_start = at + i;
                d->run_newlines = 0;
                d->run_plain = true;
                continue;
            }
            break;
        case S_RUN: {
            const unsigned char *lt = memchr(buf + i, '<', n - i);
            size_t end = lt ? (size_t)(lt - buf) : n;
            if (d->run_plain)
                d->run_plain = plain_base64(buf + i, end - i, &d->run_newlines);
            i = end;
            if (!lt)
                continue;
            if (end_run(d, buf, at, at + end))
                return -1;
            copied = end;
            d->state = S_TEXT; /* the '<' is read there */
            continue;
        }
        }
        i++;
    }
    if (d->state == S_RUN)
        return 0; /* the run so far stays in the file until it ends */
    return emit(d, buf + copied, n - copied);
}

int xml_divert_finish(xml_divert *d, uint64_t at)
{
    if (d->state != S_RUN)
        return 0;
    d->state = S_TEXT;
    return emit_range(d, NULL, at, d->run_start, at);
}

size_t xml_divert_take(xml_divert *d, char *dst, size_t len)
{
    size_t n = d->out_len - d->out_pos < len ? d->out_len - d->out_pos : len;
    if (n == 0) /* nothing emitted yet: d->out may still be NULL */
        return 0;
    memcpy(dst, d->out + d->out_pos, n);
    d->out_pos += n;
    return n;
}

bool xml_divert_lookup(xml_divert *d, const char *text, xml_divert_run *run)
{
    if (!text || text[0] != '!' || strncmp(text + 1, d->nonce, 16) != 0 || text[17] != ':')
        return false;
    const char *p = text + 18;
    uint64_t seq = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++)
        seq = seq * 10 + (uint64_t)(*p - '0');
    for (; *p == '\n'; p++)
        ;
    if (*p)
        return false;
    while (d->first_run < d->n_runs && d->runs[d->first_run].seq < seq)
        d->first_run++;
    if (d->first_run == d->n_runs || d->runs[d->first_run].seq != seq)
        return false;
    *run = d->runs[d->first_run];
    return true;
}
