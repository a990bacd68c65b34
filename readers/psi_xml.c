#include "readers/psi_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int omsi_xml_open(const char *path, omsi_xml **out, omsi_error *err)
{
    *out = NULL;
    omsi_xml *x = calloc(1, sizeof *x);
    if (!x || !(x->path = strdup(path))) {
        free(x);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", path);
    }
    /* No XML_PARSE_NOENT (no entity substitution), no XML_PARSE_DTDLOAD,
     * no network. HUGE lifts the 10 MB text-node limit: one base64 array
     * can be larger than that. */
    x->reader = xmlReaderForFile(path, NULL, XML_PARSE_NONET | XML_PARSE_HUGE |
                                                  XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    if (!x->reader) {
        free(x->path);
        free(x);
        return omsi_error_set(err, OMSI_ERR_IO, "%s: cannot open for XML parsing", path);
    }
    xmlTextReaderSetStructuredErrorHandler(x->reader, capture_error, x);
    *out = x;
    return 0;
}

void omsi_xml_close(omsi_xml *x)
{
    if (!x)
        return;
    xmlFreeTextReader(x->reader);
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
        return 1;
    }
    if (rc == 0)
        return 0;
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

int omsi_xml_line(const omsi_xml *x)
{
    return xmlTextReaderGetParserLineNumber(x->reader);
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

int omsi_cv_params_add_current(omsi_cv_params *p, const omsi_xml *x, omsi_error *err)
{
    omsi_cv_param c = {0};
    c.accession = omsi_xml_attr(x, "accession");
    if (!c.accession)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: cvParam without accession",
                              x->path, omsi_xml_line(x));
    c.value = omsi_xml_attr(x, "value");
    if (!c.value)
        c.value = strdup("");
    c.unit_accession = omsi_xml_attr(x, "unitAccession");
    c.name = omsi_xml_attr(x, "name");
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
