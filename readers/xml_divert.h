/* Keeps the base64 text of <binary> elements away from libxml2.
 *
 * libxml2 2.9's push parser (under xmlTextReader) scans its whole input
 * buffer backwards for the last '<' on every 512-byte push, so a text node
 * of n bytes costs O(n^2 / 512); with the copies into the text node that
 * was over half of an mzML conversion. The filter sits between read() and
 * libxml2: the text of each <binary> element that is nothing but a long run
 * of base64 characters is replaced by a short marker (a per-parser nonce and
 * a sequence number, so no document can forge one), and the reader fetches
 * the run from the file by its offset when it reaches the marker. Anything
 * it does not recognise (an entity or character reference, a carriage
 * return, a short run, <binary> inside a comment, CDATA or processing
 * instruction, a prefixed or attributed tag) passes through unchanged and
 * goes the slow way. Newlines in a replaced run are kept after the marker,
 * so libxml2's line numbers stay right. */
#ifndef OMSI_XML_DIVERT_H
#define OMSI_XML_DIVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct xml_divert_run {
    uint64_t seq, offset, length; /* the run's bytes [offset, offset + length) of the file */
} xml_divert_run;

typedef struct xml_divert {
    int fd;                 /* the document (pread of runs that span reads) */
    char nonce[17];         /* 16 hex digits */
    int state;
    uint8_t matched;        /* bytes of a construct's opening or closing matched */
    uint64_t run_start;     /* file offset of the current <binary> text */
    uint64_t run_newlines;
    bool run_plain;         /* no '&' or '\r' so far */
    char *out;              /* filtered bytes for libxml2 */
    size_t out_len, out_pos, out_cap;
    xml_divert_run *runs;   /* replaced runs not yet fetched, in order */
    size_t n_runs, first_run, runs_cap;
    uint64_t next_seq;
} xml_divert;

/* fd is the caller's, read sequentially; the divert keeps a duplicate of
 * it (d->fd) to read runs back with pread. 0, or -1 (errno). */
int xml_divert_init(xml_divert *d, int fd);
void xml_divert_free(xml_divert *d);

/* Filters n raw bytes read at file offset at into the output; 0, or -1 out
 * of memory or a failed read. */
int xml_divert_feed(xml_divert *d, const unsigned char *buf, size_t n, uint64_t at);
/* End of file: a run still open goes out as it was; 0 or -1. */
int xml_divert_finish(xml_divert *d, uint64_t at);
/* Copies up to len filtered bytes to dst; the count. */
size_t xml_divert_take(xml_divert *d, char *dst, size_t len);

/* When text (a text node's value) is a marker: the run it stands for, and
 * every earlier run is forgotten (their text nodes were passed by). */
bool xml_divert_lookup(xml_divert *d, const char *text, xml_divert_run *run);

#endif
