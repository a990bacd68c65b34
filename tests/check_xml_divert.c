/* The <binary> text filter between read() and libxml2 (readers/xml_divert.c):
 * which runs it replaces, the marker and offsets, every split of the input,
 * and the same nodes, values and line numbers through omsi_xml with it as
 * without it. */
#include "readers/psi_xml.h"
#include "readers/xml_divert.h"
#include "tests/test_support.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A run of n base64 characters (newline every nl characters, 0 = none). */
static char *b64_run(size_t n, size_t nl)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = nl && i % nl == nl - 1 ? '\n' : alphabet[(i * 7 + n) % 64];
    s[n] = '\0';
    return s;
}

typedef struct doc {
    char *text;
    size_t len;
} doc;

static void add(doc *d, const char *s)
{
    size_t n = strlen(s);
    d->text = realloc(d->text, d->len + n + 1);
    memcpy(d->text + d->len, s, n + 1);
    d->len += n;
}

/* The document, and the runs the filter must replace (start, length). */
static doc build(uint64_t starts[8], uint64_t lens[8], size_t *n_runs)
{
    doc d = {0};
    char *long1 = b64_run(400, 0), *long2 = b64_run(300, 76), *shortrun = b64_run(40, 0);
    char *withref = b64_run(300, 0), *pad = b64_run(298, 0);
    memcpy(withref + 100, "&#65;", 5);
    *n_runs = 0;
    add(&d, "<?xml version=\"1.0\"?>\n<!-- <binary>");
    add(&d, long1); /* in a comment: stays */
    add(&d, " -->\n<mzML><run>\n<binaryDataArray encodedLength=\"400\"><binary>");
    starts[*n_runs] = d.len, lens[(*n_runs)++] = 400;
    add(&d, long1);
    add(&d, "</binary></binaryDataArray>\n<binary>");
    add(&d, shortrun); /* short: stays */
    add(&d, "</binary>\n<binary>");
    add(&d, withref); /* a character reference: stays */
    add(&d, "</binary>\n<note><![CDATA[<binary>");
    add(&d, long1); /* in CDATA: stays */
    add(&d, "]]></note>\n<?pi <binary>");
    add(&d, long1); /* in a processing instruction: stays */
    add(&d, "?>\n<binary>");
    starts[*n_runs] = d.len, lens[(*n_runs)++] = 300;
    add(&d, long2); /* newlines inside: replaced, newlines kept */
    add(&d, "</binary>\n<binary a=\"1\">");
    add(&d, long1); /* attributes: stays */
    add(&d, "</binary>\n<binary>");
    starts[*n_runs] = d.len, lens[(*n_runs)++] = 300;
    add(&d, pad);
    add(&d, "==");
    add(&d, "</binary><binary></binary><binary/>\n</run></mzML>\n");
    free(long1);
    free(long2);
    free(shortrun);
    free(withref);
    free(pad);
    return d;
}

/* What libxml2 must see: each replaced run becomes the marker and the
 * run's newlines. */
static doc expected(const doc *in, const char *nonce, const uint64_t *starts, const uint64_t *lens, size_t n)
{
    doc e = {0};
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        char *head = strndup(in->text + at, (size_t)(starts[i] - at));
        add(&e, head);
        free(head);
        char marker[64];
        snprintf(marker, sizeof marker, "!%s:%zu", nonce, i);
        add(&e, marker);
        for (uint64_t k = 0; k < lens[i]; k++)
            if (in->text[starts[i] + k] == '\n')
                add(&e, "\n");
        at = (size_t)(starts[i] + lens[i]);
    }
    add(&e, in->text + at);
    return e;
}

static int temp_file(const doc *d, char *path)
{
    strcpy(path, "/tmp/omsi-divert-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, d->text, d->len), (ssize_t)d->len);
    return fd;
}

START_TEST(replaces_only_plain_binary_runs_at_every_split)
{
    uint64_t starts[8], lens[8];
    size_t n_runs;
    doc in = build(starts, lens, &n_runs);
    char path[64];
    int fd = temp_file(&in, path);
    const size_t splits[] = {1, 2, 3, 5, 7, 8, 9, 13, 64, 401, 4096, 1 << 20};
    for (size_t s = 0; s < sizeof splits / sizeof *splits; s++) {
        xml_divert d;
        ck_assert_int_eq(xml_divert_init(&d, fd), 0);
        doc want = expected(&in, d.nonce, starts, lens, n_runs);
        for (size_t at = 0; at < in.len; at += splits[s]) {
            size_t n = in.len - at < splits[s] ? in.len - at : splits[s];
            ck_assert_int_eq(xml_divert_feed(&d, (const unsigned char *)in.text + at, n, at), 0);
        }
        ck_assert_int_eq(xml_divert_finish(&d, in.len), 0);
        char *got = malloc(want.len + 64);
        size_t got_len = 0, k;
        while ((k = xml_divert_take(&d, got + got_len, 3)) > 0 && got_len < want.len + 32)
            got_len += k;
        got[got_len] = '\0';
        ck_assert_msg(got_len == want.len && memcmp(got, want.text, want.len) == 0,
                      "split %zu: filtered text differs:\n%s\n--- want ---\n%s", splits[s], got, want.text);
        /* each marker names its run; passing a later one forgets earlier ones */
        for (size_t i = 0; i < n_runs; i++) {
            char marker[64];
            snprintf(marker, sizeof marker, "!%s:%zu\n\n\n", d.nonce, i);
            if (i == 1)
                continue; /* skipped: forgotten by the next lookup */
            xml_divert_run run;
            ck_assert(xml_divert_lookup(&d, marker, &run));
            ck_assert_uint_eq(run.seq, i);
            ck_assert_uint_eq(run.offset, starts[i]);
            ck_assert_uint_eq(run.length, lens[i]);
        }
        xml_divert_run run;
        char stale[64], forged[64];
        snprintf(stale, sizeof stale, "!%s:1", d.nonce);
        ck_assert(!xml_divert_lookup(&d, stale, &run));
        snprintf(forged, sizeof forged, "!%016x:2", 0x1234);
        ck_assert(!xml_divert_lookup(&d, forged, &run));
        ck_assert(!xml_divert_lookup(&d, "AAAA", &run));
        free(got);
        free(want.text);
        xml_divert_free(&d);
    }
    close(fd);
    unlink(path);
    free(in.text);
}
END_TEST

/* Every node (type, depth, name, value through omsi_xml_text, line) of a
 * parse, one per line. */
static char *walk(omsi_xml *x)
{
    doc out = {0};
    omsi_error err = {0};
    int rc;
    while ((rc = omsi_xml_next(x, &err)) == 1) {
        const char *text = "";
        size_t len = 0;
        ck_assert_int_eq(omsi_xml_text(x, &text, &len, &err), 0);
        ck_assert_uint_eq(len, strlen(text));
        const char *name = (const char *)xmlTextReaderConstName(x->reader);
        char head[160];
        /* an element's own line (omsi_xml_line is the parser's, which runs
         * ahead by what it has buffered; a text node's is where libxml2's
         * first piece of it ended) */
        int type = xmlTextReaderNodeType(x->reader);
        snprintf(head, sizeof head, "%d %d %s line %ld: ", type, omsi_xml_depth(x), name ? name : "",
                 type == XML_READER_TYPE_ELEMENT ? xmlGetLineNo(xmlTextReaderCurrentNode(x->reader)) : -1L);
        add(&out, head);
        add(&out, text);
        add(&out, "\n");
    }
    ck_assert_msg(rc == 0, "%s", err.message);
    return out.text;
}

START_TEST(same_nodes_values_and_lines_through_omsi_xml)
{
    uint64_t starts[8], lens[8];
    size_t n_runs;
    doc in = build(starts, lens, &n_runs);
    char path[64];
    close(temp_file(&in, path));
    omsi_xml *plain = NULL, *huge = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_xml_open(path, &plain, &err), 0);
    ck_assert_int_eq(omsi_xml_open_huge(path, 1 << 20, &huge, &err), 0);
    ck_assert(huge->diverting && !plain->diverting);
    char *a = walk(plain), *b = walk(huge);
    if (strcmp(a, b) != 0) {
        size_t k = 0;
        while (a[k] == b[k])
            k++;
        ck_abort_msg("diverted parse differs at byte %zu: \"%.60s\" instead of \"%.60s\"", k, b + k, a + k);
    }
    /* the replaced runs really were replaced */
    ck_assert_uint_eq(huge->divert.next_seq, n_runs);
    omsi_xml_close(plain);
    omsi_xml_close(huge);
    free(a);
    free(b);
    unlink(path);
    free(in.text);
}
END_TEST

/* libxml2's own error after a replaced run with newlines names the same
 * line as without the filter. */
START_TEST(error_line_after_a_run)
{
    doc in = {0};
    char *run = b64_run(2000, 50);
    add(&in, "<mzML>\n<binary>");
    add(&in, run);
    add(&in, "</binary>\n<a>\n</b></mzML>\n");
    char path[64];
    close(temp_file(&in, path));
    char messages[2][sizeof ((omsi_error *)0)->message];
    for (int huge = 0; huge < 2; huge++) {
        omsi_xml *x = NULL;
        omsi_error err = {0};
        ck_assert_int_eq(huge ? omsi_xml_open_huge(path, 1 << 20, &x, &err) : omsi_xml_open(path, &x, &err), 0);
        int rc;
        while ((rc = omsi_xml_next(x, &err)) == 1)
            ;
        ck_assert_int_lt(rc, 0);
        ck_assert_uint_eq(x->divert.next_seq, huge ? 1 : 0);
        snprintf(messages[huge], sizeof messages[huge], "%s", err.message);
        omsi_xml_close(x);
    }
    ck_assert_msg(strstr(messages[0], "line 43"), "%s", messages[0]);
    ck_assert_str_eq(messages[1], messages[0]);
    unlink(path);
    free(run);
    free(in.text);
}
END_TEST

/* A document that ends inside a <binary> run: libxml2 gets the bytes and
 * reports the truncation itself. */
START_TEST(truncated_run_reaches_libxml2)
{
    doc in = {0};
    char *run = b64_run(1000, 0);
    add(&in, "<mzML><binary>");
    add(&in, run);
    char path[64];
    close(temp_file(&in, path));
    omsi_xml *x = NULL;
    omsi_error err = {0};
    ck_assert_int_eq(omsi_xml_open_huge(path, 1 << 20, &x, &err), 0);
    int rc;
    while ((rc = omsi_xml_next(x, &err)) == 1)
        ;
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(err.message, path) && strstr(err.message, "malformed XML"), "%s", err.message);
    ck_assert_uint_eq(x->divert.next_seq, 0);
    omsi_xml_close(x);
    unlink(path);
    free(run);
    free(in.text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xml_divert");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, replaces_only_plain_binary_runs_at_every_split);
    tcase_add_test(tc, same_nodes_values_and_lines_through_omsi_xml);
    tcase_add_test(tc, truncated_run_reaches_libxml2);
    tcase_add_test(tc, error_line_after_a_run);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
