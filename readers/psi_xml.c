#include "readers/psi_xml.h"

#include "base/omsi_budget.h"
#include "base/omsi_util.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keeps the first error libxml2 reports; the parse then fails through the
 * normal return codes. */
static void capture_error(void *ctx, xmlErrorPtr error)
{
    omsi_xml *x = ctx;
    if (!error || x->first_error[0])
        return;
    char msg[400];
    snprintf(msg, sizeof msg, "%s", error->message ? error->message : "XML error");
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    snprintf(x->first_error, sizeof x->first_error, "line %d: %s", error->line, msg);
}

/* ---- the bytes before libxml2 ----
 *
 * libxml2 declares and expands entities while it parses the internal DTD
 * subset and the attributes that follow, before the streaming reader reports
 * the DOCTYPE node; with XML_PARSE_HUGE its amplification limits are off
 * (a billion-laughs attribute took 118 s and 308 MB). So the prolog is
 * scanned here, in the read callback, and anything but white space,
 * comments and processing instructions (the XML declaration) before the
 * root element is refused: no DTD, no entity declaration ever reaches it. */

enum prolog {
    P_START, /* optional UTF-8 byte order mark */
    P_BOM1, P_BOM2,
    P_MISC,  /* white space, or '<' */
    P_LT,    /* after '<' */
    P_PI, P_PI_Q,                       /* <? ... ?> */
    P_BANG, P_C_DASH1, P_COMMENT, P_C_DASH2, P_C_END, /* <!-- ... -- > */
    P_DONE   /* the root element started */
};

static int refuse(omsi_xml *x, const char *what)
{
    if (!x->refused.message[0])
        omsi_error_set(&x->refused, OMSI_ERR_FORMAT, "%s: line %d: %s", x->path, x->prolog_line, what);
    return -1;
}

static bool name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

/* One byte of the prolog; -1 when it is refused. */
static int prolog_byte(omsi_xml *x, unsigned char c)
{
    if (c == '\n')
        x->prolog_line++;
    switch (x->prolog_state) {
    case P_START:
        if (c == 0xEF) {
            x->prolog_state = P_BOM1;
            return 0;
        }
        if (c == 0xFE || c == 0xFF || c == 0)
            return refuse(x, "malformed XML: only UTF-8 documents are supported");
        x->prolog_state = P_MISC;
        return prolog_byte(x, c);
    case P_BOM1:
        x->prolog_state = c == 0xBB ? P_BOM2 : P_DONE;
        return c == 0xBB ? 0 : refuse(x, "malformed XML: bad byte order mark");
    case P_BOM2:
        x->prolog_state = P_MISC;
        return c == 0xBF ? 0 : refuse(x, "malformed XML: bad byte order mark");
    case P_MISC:
        if (c == '<')
            x->prolog_state = P_LT;
        else if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return refuse(x, "malformed XML: unexpected content before the root element");
        return 0;
    case P_LT:
        if (c == '?')
            x->prolog_state = P_PI;
        else if (c == '!')
            x->prolog_state = P_BANG;
        else if (name_start(c))
            x->prolog_state = P_DONE;
        else
            return refuse(x, "malformed XML: unexpected content before the root element");
        return 0;
    case P_PI:
        if (c == '?')
            x->prolog_state = P_PI_Q;
        return 0;
    case P_PI_Q:
        x->prolog_state = c == '>' ? P_MISC : c == '?' ? P_PI_Q : P_PI;
        return 0;
    case P_BANG:
        if (c == '-') {
            x->prolog_state = P_C_DASH1; /* "<!-": the second '-' follows */
            return 0;
        }
        return refuse(x, "DOCTYPE not allowed: document type declarations (DTD) are not allowed "
                         "(refused before parsing)");
    case P_C_DASH1:
        if (c != '-')
            return refuse(x, "malformed XML: bad comment before the root element");
        x->prolog_state = P_COMMENT;
        return 0;
    case P_COMMENT:
        if (c == '-')
            x->prolog_state = P_C_DASH2;
        return 0;
    case P_C_DASH2: /* one '-' seen inside the comment; a second ends it with '>' */
        if (c == '-') {
            x->prolog_state = P_C_END; /* "--": only ">" may follow */
            return 0;
        }
        x->prolog_state = P_COMMENT;
        return 0;
    case P_C_END:
        x->prolog_state = c == '>' ? P_MISC : c == '-' ? P_C_END : P_COMMENT;
        return 0;
    default:
        return 0;
    }
}

/* Bytes since the last '<': a text node (or tag) that long would be held
 * whole by libxml2. */
static int check_runs(omsi_xml *x, const char *buf, size_t n)
{
    const char *first = memchr(buf, '<', n);
    if (!first) {
        x->run += n;
    } else {
        if (x->run + (uint64_t)(first - buf) > x->max_text)
            goto too_long;
        const char *last = first;
        for (const char *p = first; p; p = memchr(p + 1, '<', n - (size_t)(p + 1 - buf)))
            last = p;
        x->run = n - (size_t)(last + 1 - buf);
    }
    if (x->run <= x->max_text)
        return 0;
too_long:
    if (!x->refused.message[0])
        omsi_budget_check(x->max_text, x->run + 1, x->path,
                          "one text node (a binary array of more than the memory limit)", &x->refused);
    return -1;
}

/* ---- the fileChecksum of an indexed mzML ---- */

static const char checksum_tag[] = "<fileChecksum>";

static void checksum_scan(omsi_xml *x, const unsigned char *buf, size_t n)
{
    size_t i = 0;
    if (x->sum_phase == 0) {
        size_t tag = sizeof checksum_tag - 1;
        while (i < n) {
            if (x->sum_match == 0) { /* between tags: memchr over base64 runs */
                const unsigned char *lt = memchr(buf + i, '<', n - i);
                if (!lt) {
                    i = n;
                    break;
                }
                i = (size_t)(lt - buf);
            }
            /* no '<' inside the tag, so a mismatch restarts at 0 or 1 */
            unsigned char c = buf[i++];
            x->sum_match = c == (unsigned char)checksum_tag[x->sum_match] ? x->sum_match + 1 : c == '<' ? 1 : 0;
            if (x->sum_match == tag) {
                x->sum_phase = 1;
                break;
            }
        }
        EVP_DigestUpdate(x->sha, buf, i);
    }
    for (; x->sum_phase == 1 && i < n; i++) {
        unsigned char c = buf[i];
        if (c == '<')
            x->sum_phase = 2;
        else if (isxdigit(c) && x->sum_len < 40)
            x->sum_hex[x->sum_len++] = (char)tolower(c);
        else if (!isspace(c))
            x->sum_garbage = true;
    }
}

/* Collects the root element's name from its first byte on; only an
 * <indexedmzML> has a fileChecksum, so any other root stops the digest. */
static void root_name(omsi_xml *x, const unsigned char *buf, size_t n)
{
    size_t len = strlen(x->root);
    for (size_t i = 0; i < n && !x->root_done; i++) {
        unsigned char c = buf[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/' || len + 1 >= sizeof x->root)
            x->root_done = true;
        else
            x->root[len++] = (char)c;
    }
    if (x->root_done && x->sha && x->sum_phase == 0 && strcmp(x->root, "indexedmzML") != 0)
        x->sum_phase = 3;
}

/* Reads up to len bytes from the file and runs the byte checks on them. */
static ssize_t read_checked(omsi_xml *x, char *buf, size_t len)
{
    ssize_t n;
    do
        n = read(x->fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        omsi_error_errno(&x->refused, OMSI_ERR_IO, errno, "%s", x->path);
        return -1;
    }
    ssize_t root_from = x->prolog_state == P_DONE ? 0 : -1;
    for (ssize_t i = 0; i < n && x->prolog_state != P_DONE; i++) {
        if (prolog_byte(x, (unsigned char)buf[i]))
            return -1;
        if (x->prolog_state == P_DONE)
            root_from = i; /* the root name's first byte */
    }
    if (x->sha && !x->root_done && root_from >= 0)
        root_name(x, (const unsigned char *)buf + root_from, (size_t)(n - root_from));
    if (x->max_text && check_runs(x, buf, (size_t)n))
        return -1;
    if (x->sha && x->sum_phase < 2)
        checksum_scan(x, (const unsigned char *)buf, (size_t)n);
    return n;
}

enum { RAW_READ = 1 << 16 };

/* The diverting read: filtered bytes, read and checked a block at a time. */
static int read_diverted(omsi_xml *x, char *buf, int len)
{
    for (;;) {
        size_t n = xml_divert_take(&x->divert, buf, (size_t)len);
        if (n > 0 || x->raw_eof)
            return (int)n;
        ssize_t got = read_checked(x, (char *)x->raw, RAW_READ);
        if (got < 0)
            return -1;
        int rc = got == 0 ? xml_divert_finish(&x->divert, x->raw_offset)
                          : xml_divert_feed(&x->divert, x->raw, (size_t)got, x->raw_offset);
        if (rc) {
            omsi_error_set(&x->refused, OMSI_ERR_NOMEM, "%s: out of memory (or a failed read) while reading",
                           x->path);
            return -1;
        }
        x->raw_offset += (uint64_t)got;
        x->raw_eof = got == 0;
    }
}

static int read_cb(void *ctx, char *buf, int len)
{
    omsi_xml *x = ctx;
    if (x->refused.message[0] || len < 0)
        return -1;
    if (x->diverting)
        return read_diverted(x, buf, len);
    ssize_t n = read_checked(x, buf, (size_t)len);
    return n < 0 ? -1 : (int)n;
}

static int close_cb(void *ctx)
{
    omsi_xml *x = ctx;
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
    return 0;
}

static int xml_open(const char *path, uint64_t max_text, bool checksum, omsi_xml **out, omsi_error *err)
{
    *out = NULL;
    omsi_xml *x = calloc(1, sizeof *x);
    if (!x || !(x->path = strdup(path))) {
        free(x);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", path);
    }
    if (checksum && (!(x->sha = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(x->sha, EVP_sha1(), NULL))) {
        EVP_MD_CTX_free(x->sha);
        free(x->path);
        free(x);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: cannot start a SHA-1 digest", path);
    }
    x->prolog_line = 1;
    x->max_text = max_text;
    x->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (x->fd < 0) {
        int rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: cannot open for XML parsing", path);
        EVP_MD_CTX_free(x->sha);
        free(x->path);
        free(x);
        return rc;
    }
    if (max_text) {
        if (xml_divert_init(&x->divert, x->fd) != 0) {
            int rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: cannot open for XML parsing", path);
            omsi_xml_close(x);
            return rc;
        }
        x->diverting = true;
        if (!(x->raw = malloc(RAW_READ))) {
            omsi_xml_close(x);
            return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", path);
        }
    }
    /* No XML_PARSE_NOENT (no entity substitution), no XML_PARSE_DTDLOAD,
     * no network; XML_PARSE_HUGE only with our own text cap. libxml2 never
     * opens the file itself (no gzip, no URL): it reads through read_cb.
     * XML_PARSE_NOBLANKS: the indentation between elements never becomes a
     * node we would step over (about 10 % of an imzML index read). */
    int options = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOWARNING | XML_PARSE_NOERROR |
                  (max_text ? XML_PARSE_HUGE : 0);
    x->reader = xmlReaderForIO(read_cb, close_cb, x, path, NULL, options);
    if (!x->reader || x->refused.message[0]) {
        int rc = x->refused.message[0] ? omsi_error_set(err, x->refused.status, "%s", x->refused.message)
                                       : omsi_error_set(err, OMSI_ERR_IO, "%s: cannot open for XML parsing", path);
        omsi_xml_close(x);
        return rc;
    }
    xmlTextReaderSetStructuredErrorHandler(x->reader, capture_error, x);
    *out = x;
    return 0;
}

int omsi_xml_open(const char *path, omsi_xml **out, omsi_error *err)
{
    return xml_open(path, 0, false, out, err);
}

int omsi_xml_open_huge(const char *path, uint64_t max_text, omsi_xml **out, omsi_error *err)
{
    return xml_open(path, max_text ? max_text : 1, false, out, err);
}

int omsi_xml_open_huge_checksummed(const char *path, uint64_t max_text, omsi_xml **out, omsi_error *err)
{
    return xml_open(path, max_text ? max_text : 1, true, out, err);
}

int omsi_xml_file_checksum(omsi_xml *x, int *state, char *actual, char *expected, omsi_error *err)
{
    *state = 0;
    actual[0] = expected[0] = '\0';
    if (!x->sha)
        return 0;
    unsigned char buf[65536];
    while (x->sum_phase < 2 && x->fd >= 0) { /* the part after where the parse stopped */
        ssize_t n = read(x->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", x->path);
        if (n == 0)
            break;
        checksum_scan(x, buf, (size_t)n);
    }
    if (x->sum_phase == 0 || x->sum_phase == 3)
        return 0; /* no fileChecksum: not an indexed mzML */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(x->sha, md, &len);
    EVP_MD_CTX_free(x->sha);
    x->sha = NULL;
    for (unsigned int i = 0; i < len && i < 20; i++)
        snprintf(actual + 2 * i, 3, "%02x", md[i]);
    memcpy(expected, x->sum_hex, x->sum_len);
    expected[x->sum_len] = '\0';
    *state = !x->sum_garbage && strcmp(actual, expected) == 0 ? 1 : 2;
    return 0;
}

void omsi_xml_close(omsi_xml *x)
{
    if (!x)
        return;
    if (x->reader)
        xmlFreeTextReader(x->reader); /* calls close_cb */
    close_cb(x);
    EVP_MD_CTX_free(x->sha);
    if (x->diverting)
        xml_divert_free(&x->divert);
    free(x->raw);
    free(x->text);
    free(x->path);
    free(x);
}

int omsi_xml_next(omsi_xml *x, omsi_error *err)
{
    int rc = xmlTextReaderRead(x->reader);
    if (rc == 1) {
        /* PSI formats have no DTD; refusing one stops entity tricks (billion
         * laughs, external entities) before any value is read. */
        if (xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_DOCUMENT_TYPE)
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: line %d: document type declarations (DTD) are not allowed",
                                  x->path, omsi_xml_line(x));
        if (xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_ENTITY_REFERENCE)
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: line %d: entity references are not allowed", x->path,
                                  omsi_xml_line(x));
        if (x->diverting && xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_TEXT) {
            /* passing a marker forgets the runs before it, read or not */
            xml_divert_run run;
            xml_divert_lookup(&x->divert, (const char *)xmlTextReaderConstValue(x->reader), &run);
        }
        return 1;
    }
    if (rc == 0 && !x->refused.message[0])
        return 0;
    if (x->refused.message[0])
        return omsi_error_set(err, x->refused.status, "%s", x->refused.message);
    return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: malformed XML: %s", x->path,
                          x->first_error[0] ? x->first_error : "parse error");
}

static bool name_is(const omsi_xml *x, const char *local_name)
{
    const xmlChar *name = xmlTextReaderConstLocalName(x->reader);
    return name && strcmp((const char *)name, local_name) == 0;
}

bool omsi_xml_is_start(const omsi_xml *x, const char *local_name)
{
    return xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_ELEMENT &&
           name_is(x, local_name);
}

bool omsi_xml_is_end(const omsi_xml *x, const char *local_name)
{
    return xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_END_ELEMENT &&
           name_is(x, local_name);
}

bool omsi_xml_is_empty(const omsi_xml *x)
{
    return xmlTextReaderIsEmptyElement(x->reader) == 1;
}

int omsi_xml_depth(const omsi_xml *x)
{
    return xmlTextReaderDepth(x->reader);
}

char *omsi_xml_attr(const omsi_xml *x, const char *name)
{
    xmlChar *v = xmlTextReaderGetAttribute(x->reader, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *copy = strdup((const char *)v);
    xmlFree(v);
    return copy;
}

int omsi_xml_text(omsi_xml *x, const char **text, size_t *len, omsi_error *err)
{
    const char *v = (const char *)xmlTextReaderConstValue(x->reader);
    xml_divert_run run;
    if (!x->diverting || !xml_divert_lookup(&x->divert, v, &run)) {
        *text = v ? v : "";
        *len = strlen(*text);
        return 0;
    }
    if (run.length + 1 > x->text_cap) {
        char *t = realloc(x->text, (size_t)run.length + 1);
        if (!t)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory for a %llu-byte array", x->path,
                                  (unsigned long long)run.length);
        x->text = t;
        x->text_cap = (size_t)run.length + 1;
    }
    int rc = omsi_pread_exact(x->divert.fd, x->text, (size_t)run.length, run.offset, x->path, err);
    if (rc)
        return rc;
    x->text[run.length] = '\0';
    *text = x->text;
    *len = (size_t)run.length;
    return 0;
}

int omsi_xml_line(const omsi_xml *x)
{
    return xmlTextReaderGetParserLineNumber(x->reader);
}

void omsi_xml_prefer_parse_error(omsi_xml *x, omsi_error *err)
{
    if (!x || x->first_error[0] || x->refused.message[0] || !err->message[0] || err->status == OMSI_ERR_NOT_FORMAT)
        return; /* the error is already the parser's (or a byte check's), or not ours to explain */
    /* only on the error path: the rest of the document is read once */
    int rc;
    while ((rc = xmlTextReaderRead(x->reader)) == 1)
        if (xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_DOCUMENT_TYPE ||
            xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_ENTITY_REFERENCE)
            return;
    if (rc == 0 || (!x->first_error[0] && !x->refused.message[0]))
        return; /* well-formed: the reader's own error stands */
    char ours[sizeof err->message];
    snprintf(ours, sizeof ours, "%s", err->message);
    int status = err->status;
    if (x->refused.message[0])
        omsi_error_set(err, x->refused.status, "%s; before it: %s", x->refused.message, ours);
    else
        omsi_error_set(err, status, "%s: malformed XML: %s; before it: %s", x->path, x->first_error, ours);
}

int omsi_xml_skip(omsi_xml *x, omsi_error *err)
{
    if (xmlTextReaderNodeType(x->reader) != XML_READER_TYPE_ELEMENT || omsi_xml_is_empty(x))
        return 0;
    int depth = omsi_xml_depth(x);
    for (;;) {
        int rc = omsi_xml_next(x, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: document ends inside an element",
                                  x->path);
        if (xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_END_ELEMENT &&
            omsi_xml_depth(x) == depth)
            return 0;
    }
}

/* ---- cvParams ---- */

void omsi_cv_params_init(omsi_cv_params *p)
{
    memset(p, 0, sizeof *p);
}

static void param_free(omsi_cv_param *c)
{
    free(c->accession);
    free(c->value);
    free(c->unit_accession);
    free(c->name);
}

void omsi_cv_params_clear(omsi_cv_params *p)
{
    for (size_t i = 0; i < p->count; i++)
        param_free(&p->items[i]);
    p->count = 0;
}

void omsi_cv_params_free(omsi_cv_params *p)
{
    omsi_cv_params_clear(p);
    free(p->items);
    omsi_cv_params_init(p);
}

static int reserve_one(omsi_cv_params *p)
{
    if (p->count < p->capacity)
        return 0;
    size_t cap = p->capacity ? p->capacity * 2 : 16;
    omsi_cv_param *items = realloc(p->items, cap * sizeof *items);
    if (!items)
        return OMSI_ERR_NOMEM;
    p->items = items;
    p->capacity = cap;
    return 0;
}

/* Takes ownership of the strings (freed on failure). */
static int push_param(omsi_cv_params *p, omsi_cv_param c, omsi_error *err)
{
    if (!c.accession || !c.value || reserve_one(p)) {
        param_free(&c);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory reading cvParams");
    }
    p->items[p->count++] = c;
    return 0;
}

/* Where attribute `name` of a cvParam goes (NULL: not kept). */
static char **cv_slot(omsi_cv_param *c, const char *name)
{
    switch (name[0]) {
    case 'a': return strcmp(name, "accession") == 0 ? &c->accession : NULL;
    case 'v': return strcmp(name, "value") == 0 ? &c->value : NULL;
    case 'u': return strcmp(name, "unitAccession") == 0 ? &c->unit_accession : NULL;
    case 'n': return strcmp(name, "name") == 0 ? &c->name : NULL;
    default: return NULL;
    }
}

/* One walk over the attributes, each kept one copied once (a large index
 * has millions of cvParams: four lookups and two copies each showed). */
int omsi_cv_params_add_current(omsi_cv_params *p, const omsi_xml *x, omsi_error *err)
{
    omsi_cv_param c = {0};
    bool nomem = false;
    for (int more = xmlTextReaderMoveToFirstAttribute(x->reader); more == 1;
         more = xmlTextReaderMoveToNextAttribute(x->reader)) {
        const xmlChar *name = xmlTextReaderConstName(x->reader);
        char **slot = name ? cv_slot(&c, (const char *)name) : NULL;
        if (slot && !*slot) {
            const xmlChar *value = xmlTextReaderConstValue(x->reader);
            *slot = strdup(value ? (const char *)value : "");
            nomem |= !*slot;
        }
    }
    xmlTextReaderMoveToElement(x->reader);
    if (nomem) {
        param_free(&c);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory reading cvParams");
    }
    if (!c.accession) {
        param_free(&c);
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: cvParam without accession",
                              x->path, omsi_xml_line(x));
    }
    if (!c.value)
        c.value = strdup("");
    return push_param(p, c, err);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int omsi_cv_params_append(omsi_cv_params *dst, const omsi_cv_params *src, omsi_error *err)
{
    for (size_t i = 0; i < src->count; i++) {
        const omsi_cv_param *s = &src->items[i];
        omsi_cv_param c = {.accession = dup_or_null(s->accession),
                           .value = dup_or_null(s->value),
                           .unit_accession = dup_or_null(s->unit_accession),
                           .name = dup_or_null(s->name)};
        int rc = push_param(dst, c, err);
        if (rc)
            return rc;
    }
    return 0;
}

const omsi_cv_param *omsi_cv_find(const omsi_cv_params *p, const char *accession)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].accession, accession) == 0)
            return &p->items[i];
    return NULL;
}

const omsi_cv_param *omsi_cv_find_any(const omsi_cv_params *p, const char *const *accessions)
{
    for (size_t i = 0; i < p->count; i++)
        for (const char *const *a = accessions; *a; a++)
            if (strcmp(p->items[i].accession, *a) == 0)
                return &p->items[i];
    return NULL;
}

/* ---- referenceableParamGroupList ---- */

void omsi_param_groups_init(omsi_param_groups *g)
{
    memset(g, 0, sizeof *g);
}

void omsi_param_groups_free(omsi_param_groups *g)
{
    for (size_t i = 0; i < g->count; i++) {
        free(g->items[i].id);
        omsi_cv_params_free(&g->items[i].params);
    }
    free(g->items);
    omsi_param_groups_init(g);
}

static int add_group(omsi_param_groups *g, char *id, omsi_error *err)
{
    if (g->count == g->capacity) {
        size_t cap = g->capacity ? g->capacity * 2 : 8;
        omsi_param_group *items = realloc(g->items, cap * sizeof *items);
        if (!items) {
            free(id);
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        }
        g->items = items;
        g->capacity = cap;
    }
    g->items[g->count].id = id;
    omsi_cv_params_init(&g->items[g->count].params);
    g->count++;
    return 0;
}

int omsi_param_groups_read(omsi_param_groups *g, omsi_xml *x, omsi_error *err)
{
    if (omsi_xml_is_empty(x))
        return 0;
    omsi_param_group *current = NULL;
    for (;;) {
        int rc = omsi_xml_next(x, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: document ends inside referenceableParamGroupList",
                                  x->path);
        if (omsi_xml_is_end(x, "referenceableParamGroupList"))
            return 0;
        if (omsi_xml_is_start(x, "referenceableParamGroup")) {
            char *id = omsi_xml_attr(x, "id");
            if (!id)
                return omsi_error_set(err, OMSI_ERR_FORMAT,
                                      "%s: line %d: referenceableParamGroup without id",
                                      x->path, omsi_xml_line(x));
            rc = add_group(g, id, err);
            if (rc)
                return rc;
            current = omsi_xml_is_empty(x) ? NULL : &g->items[g->count - 1];
        } else if (omsi_xml_is_end(x, "referenceableParamGroup")) {
            current = NULL;
        } else if (current && omsi_xml_is_start(x, "cvParam")) {
            rc = omsi_cv_params_add_current(&current->params, x, err);
            if (rc)
                return rc;
        }
    }
}

int omsi_param_groups_resolve(const omsi_param_groups *g, const char *ref,
                              omsi_cv_params *dst, const char *path, omsi_error *err)
{
    for (size_t i = 0; i < g->count; i++)
        if (strcmp(g->items[i].id, ref) == 0)
            return omsi_cv_params_append(dst, &g->items[i].params, err);
    return omsi_error_set(err, OMSI_ERR_FORMAT,
                          "%s: referenceableParamGroupRef '%s' names no referenceableParamGroup",
                          path, ref);
}
