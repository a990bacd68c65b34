/* Shared by the imzML and mzML readers: a safe libxml2 streaming reader
 * (no network, no entity substitution, no DTD loading, errors captured into
 * omsi_error instead of printed) and PSI-MS cvParam lists with
 * referenceableParamGroup resolution, matched by accession (never by name). */
#ifndef OMSI_PSI_XML_H
#define OMSI_PSI_XML_H

#include "base/omsi_error.h"
#include "readers/xml_divert.h"

#include <libxml/xmlreader.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct omsi_xml {
    xmlTextReaderPtr reader;
    char *path;
    char first_error[512]; /* first libxml2 error, with line number */
    /* The bytes libxml2 reads pass our own checks first (psi_xml.c). */
    int fd;
    int prolog_state;      /* scanner of everything before the root element */
    int prolog_line;
    uint64_t max_text;     /* longest run of bytes without '<' (0 = libxml2's limits) */
    uint64_t run;
    omsi_error refused;    /* set by the byte checks; reported by omsi_xml_next */
    /* indexed mzML fileChecksum: SHA-1 of the bytes up to and including the
     * <fileChecksum> tag, then its hex text (NULL ctx: not tracked) */
    struct evp_md_ctx_st *sha;
    int sum_phase;         /* 0 hashing, 1 in the hex text, 2 text ended, 3 not indexed */
    size_t sum_match;      /* bytes of "<fileChecksum>" matched so far */
    char sum_hex[41];
    size_t sum_len;
    bool sum_garbage;      /* text that is not hex */
    char root[16];         /* the root element's name, as far as read */
    bool root_done;        /* root holds it all (then only <indexedmzML> is hashed) */
    /* huge documents: <binary> text kept away from libxml2 (xml_divert.h) */
    bool diverting;
    xml_divert divert;
    unsigned char *raw;    /* one read() of the file */
    uint64_t raw_offset;   /* bytes read so far */
    bool raw_eof;
    char *text;            /* the current diverted run, read back */
    size_t text_cap;
} omsi_xml;

/* Opens path for streaming. Heap-allocated so libxml2's error callback can
 * point at it. A DOCTYPE (or anything but comments, processing instructions
 * and white space before the root element, or a non-UTF-8-compatible
 * encoding) is refused before libxml2 parses a byte of it: no entity can be
 * declared, so none can be expanded. libxml2's own size limits stay on
 * (10 MB per text node). */
int omsi_xml_open(const char *path, omsi_xml **out, omsi_error *err);
/* The same for documents whose text nodes may be larger than 10 MB (mzML
 * base64 arrays): XML_PARSE_HUGE, with our own cap instead: no text node
 * or tag (a run of bytes without '<') longer than max_text bytes. The
 * base64 text of <binary> elements is read past libxml2 (xml_divert.h):
 * take text nodes with omsi_xml_text. */
int omsi_xml_open_huge(const char *path, uint64_t max_text, omsi_xml **out, omsi_error *err);
/* omsi_xml_open_huge that also hashes for an indexed mzML's fileChecksum
 * in the same read (mzML 1.1: SHA-1 of the file through the opening
 * <fileChecksum> tag). */
int omsi_xml_open_huge_checksummed(const char *path, uint64_t max_text, omsi_xml **out, omsi_error *err);
/* The verdict, after the parse went as far as it needed: reads (without
 * parsing) whatever libxml2 has not read yet up to the checksum's text.
 * actual and expected (41 bytes each) get the hex digests ("" when absent). */
int omsi_xml_file_checksum(omsi_xml *x, int *state, char *actual, char *expected, omsi_error *err);
void omsi_xml_close(omsi_xml *x);

/* Advances to the next node: 1 = node, 0 = end of document, < 0 = error
 * (err names the file, line and libxml2's message). */
int omsi_xml_next(omsi_xml *x, omsi_error *err);

/* Current node helpers. */
bool omsi_xml_is_start(const omsi_xml *x, const char *local_name); /* element start */
bool omsi_xml_is_end(const omsi_xml *x, const char *local_name);   /* element end */
/* True for a start tag with no content (<cvParam .../>): no end event follows. */
bool omsi_xml_is_empty(const omsi_xml *x);
int omsi_xml_depth(const omsi_xml *x);
/* malloc'ed attribute value or NULL. */
char *omsi_xml_attr(const omsi_xml *x, const char *name);
/* The current text node's value and length; for a <binary> text kept from
 * libxml2, read from the file here (valid until the next call). 0 or < 0. */
int omsi_xml_text(omsi_xml *x, const char **text, size_t *len, omsi_error *err);
/* Current line number (for messages). */
int omsi_xml_line(const omsi_xml *x);
/* After a reader's own error (err set) on a document that may be malformed:
 * reads the rest of it, and when libxml2 finds it not well-formed, puts
 * libxml2's error (file, line, e.g. "Opening and ending tag mismatch")
 * first and the reader's after it, which was likely a consequence. */
void omsi_xml_prefer_parse_error(omsi_xml *x, omsi_error *err);
/* Skips the current element's subtree (cursor ends on its end tag). */
int omsi_xml_skip(omsi_xml *x, omsi_error *err);

/* ---- cvParams ---- */
typedef struct omsi_cv_param {
    char *accession;      /* "MS:1000521" */
    char *value;          /* "" when absent */
    char *unit_accession; /* NULL when absent */
    char *name;           /* as written; informative only */
} omsi_cv_param;

typedef struct omsi_cv_params {
    omsi_cv_param *items;
    size_t count;
    size_t capacity;
} omsi_cv_params;

void omsi_cv_params_init(omsi_cv_params *p);
void omsi_cv_params_clear(omsi_cv_params *p); /* empties, keeps capacity */
void omsi_cv_params_free(omsi_cv_params *p);
/* Appends the <cvParam> the cursor is on. */
int omsi_cv_params_add_current(omsi_cv_params *p, const omsi_xml *x, omsi_error *err);
int omsi_cv_params_append(omsi_cv_params *dst, const omsi_cv_params *src, omsi_error *err);
/* First param with this accession, or NULL. */
const omsi_cv_param *omsi_cv_find(const omsi_cv_params *p, const char *accession);
/* First param whose accession is in the NULL-terminated list. */
const omsi_cv_param *omsi_cv_find_any(const omsi_cv_params *p, const char *const *accessions);

/* ---- referenceableParamGroupList ---- */
typedef struct omsi_param_group {
    char *id;
    omsi_cv_params params;
} omsi_param_group;

typedef struct omsi_param_groups {
    omsi_param_group *items;
    size_t count;
    size_t capacity;
} omsi_param_groups;

void omsi_param_groups_init(omsi_param_groups *g);
void omsi_param_groups_free(omsi_param_groups *g);
/* Cursor on <referenceableParamGroupList> start: reads every group up to its
 * end tag. */
int omsi_param_groups_read(omsi_param_groups *g, omsi_xml *x, omsi_error *err);
/* Appends the params of group `ref` to dst; unknown ref = OMSI_ERR_FORMAT. */
int omsi_param_groups_resolve(const omsi_param_groups *g, const char *ref,
                              omsi_cv_params *dst, const char *path, omsi_error *err);

#endif
