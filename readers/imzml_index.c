/* imzML: file resolution, the header view and the spectrum index (one
 * streaming pass with libxml2's reader), and reading arrays from the .ibd. */
#include "readers/imzml_internal.h"
#include "readers/zlib_array.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void imzml_files_free(imzml_files *f)
{
    free(f->imzml);
    free(f->ibd);
    f->imzml = f->ibd = NULL;
}

/* stem + ext, keeping the case of an existing file (".IBD" occurs). */
static char *with_ext(const char *stem, const char *lower, const char *upper)
{
    size_t n = strlen(stem) + strlen(lower) + 1;
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) {
        free(a);
        free(b);
        return NULL;
    }
    snprintf(a, n, "%s%s", stem, lower);
    snprintf(b, n, "%s%s", stem, upper);
    if (!omsi_is_regular_file(a) && omsi_is_regular_file(b)) {
        free(a);
        return b;
    }
    free(b);
    return a;
}

static int from_stem(const char *stem, const char *imzml, imzml_files *out, omsi_error *err)
{
    out->imzml = imzml ? strdup(imzml) : with_ext(stem, ".imzML", ".imzml");
    if (out->imzml && !imzml && !omsi_is_regular_file(out->imzml)) {
        char *upper = with_ext(stem, ".IMZML", ".IMZML");
        if (upper && omsi_is_regular_file(upper)) {
            free(out->imzml);
            out->imzml = upper;
        } else {
            free(upper);
        }
    }
    out->ibd = with_ext(stem, ".ibd", ".IBD");
    if (!out->imzml || !out->ibd) {
        imzml_files_free(out);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    return 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int imzml_files_resolve(const char *path, imzml_files *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    if (omsi_is_directory(path)) {
        DIR *d = opendir(path);
        if (!d)
            return omsi_error_errno(err, OMSI_ERR_NOT_FORMAT, errno, "%s", path);
        omsi_path_list names;
        omsi_path_list_init(&names);
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.' && omsi_has_suffix_ci(e->d_name, ".imzML"))
                omsi_path_list_add(&names, e->d_name);
        closedir(d);
        int rc;
        if (names.count == 0) {
            rc = omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: no .imzML file", path);
        } else {
            if (names.count > 1)
                qsort(names.paths, names.count, sizeof *names.paths, compare_strings);
            char *file = omsi_path_join(path, names.paths[0]);
            rc = file ? imzml_files_resolve(file, out, err) : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            free(file);
        }
        omsi_path_list_free(&names);
        return rc;
    }
    const char *exts[] = {".imzML", ".ibd"};
    for (size_t i = 0; i < 2; i++) {
        if (!omsi_has_suffix_ci(path, exts[i]))
            continue;
        char *stem = omsi_strip_suffix_ci(path, exts[i]);
        if (!stem)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        int rc = from_stem(stem, i == 0 ? path : NULL, out, err);
        free(stem);
        return rc;
    }
    return from_stem(path, NULL, out, err);
}

size_t imzml_type_size(imzml_type t)
{
    return t == IMZ_F32 || t == IMZ_I32 ? 4 : t == IMZ_F64 || t == IMZ_I64 ? 8 : 0;
}

void imzml_index_free(imzml_index *ix)
{
    free(ix->spectra);
    omsi_meta_free(&ix->metadata);
    memset(ix, 0, sizeof *ix);
}

/* ---- parsing ---- */

/* Where the cvParams being read belong. */
typedef enum where {
    IN_OTHER, IN_FILE_CONTENT, IN_SCAN_SETTINGS, IN_INSTRUMENT, IN_SOFTWARE, IN_SPECTRUM, IN_ARRAY
} where;

typedef struct parse {
    const char *path;
    omsi_xml *x;
    omsi_param_groups groups;
    omsi_cv_params header, settings, instrument, software, spectrum, array;
    where at;
    imzml_spectrum current;
    int arrays_seen;
    uint64_t ibd_size;
    uint64_t memory_limit;
    imzml_index *ix;
} parse;

static omsi_cv_params *params_for(parse *p)
{
    switch (p->at) {
    case IN_FILE_CONTENT: return &p->header;
    case IN_SCAN_SETTINGS: return &p->settings;
    case IN_INSTRUMENT: return &p->instrument;
    case IN_SOFTWARE: return &p->software;
    case IN_SPECTRUM: return &p->spectrum;
    case IN_ARRAY: return &p->array;
    default: return NULL;
    }
}

static int parse_u64(const char *text, uint64_t *out)
{
    if (!text)
        return -1;
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '-' || *text == '+' || !isdigit((unsigned char)*text))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static void set_header(parse *p)
{
    imzml_header *h = &p->ix->header;
    const omsi_cv_param *uuid = omsi_cv_find(&p->header, "IMS:1000080");
    if (uuid) {
        size_t n = 0;
        for (const char *c = uuid->value; *c && n < 32; c++)
            if (isxdigit((unsigned char)*c))
                h->uuid[n++] = (char)tolower((unsigned char)*c);
        h->uuid[n] = '\0';
        if (n != 32)
            h->uuid[0] = '\0';
    }
    if (omsi_cv_find(&p->header, "IMS:1000030")) {
        h->declared_mode = 1;
        snprintf(h->declared_mode_text, sizeof h->declared_mode_text, "continuous");
    } else if (omsi_cv_find(&p->header, "IMS:1000031")) {
        h->declared_mode = 2;
        snprintf(h->declared_mode_text, sizeof h->declared_mode_text, "processed");
    } else {
        /* A misspelled accession (IMS:1000032 seen): go by name, say so. */
        for (size_t i = 0; i < p->header.count; i++) {
            const char *name = p->header.items[i].name;
            if (name && (strcmp(name, "processed") == 0 || strcmp(name, "continuous") == 0)) {
                h->declared_mode = name[0] == 'p' ? 2 : 1;
                snprintf(h->declared_mode_text, sizeof h->declared_mode_text, "%s (by name only; accession %.40s)",
                         name, p->header.items[i].accession);
            }
        }
    }
    const omsi_cv_param *md5 = omsi_cv_find(&p->header, "IMS:1000090");
    const omsi_cv_param *sha1 = omsi_cv_find(&p->header, "IMS:1000091");
    const omsi_cv_param *sum = md5 ? md5 : sha1;
    if (sum) {
        size_t n = 0, want = md5 ? 32 : 40;
        for (const char *c = sum->value; *c && n < want; c++)
            if (isxdigit((unsigned char)*c))
                h->checksum[n++] = (char)tolower((unsigned char)*c);
        h->checksum[n] = '\0';
        /* a value of the wrong length still declares a checksum: it cannot match */
        h->checksum_kind = md5 ? 1 : 2;
    }
    h->is_imzml = uuid || h->declared_mode || p->header.count > 0;
}

/* What one cvParam of a <binaryDataArray> says; the first of each counts. */
typedef enum array_term {
    T_OTHER, T_MZ, T_INTENSITY, T_NUMPRESS, T_FLOAT16, T_ZLIB, T_OFFSET, T_LENGTH, T_ENCODED,
    T_FLOAT32, T_FLOAT64, T_INT32, T_INT64, T_COUNT
} array_term;

/* "MS:" or "IMS:" and exactly seven digits, read as a number: one switch
 * per parameter instead of a string compare per known accession. */
static array_term array_term_of(const char *accession)
{
    bool ims = accession[0] == 'I';
    const char *d = accession + (ims ? 4 : 3);
    if (strncmp(accession, ims ? "IMS:" : "MS:", ims ? 4 : 3) != 0)
        return T_OTHER;
    uint32_t n = 0;
    for (int i = 0; i < 7; i++) {
        if (d[i] < '0' || d[i] > '9')
            return T_OTHER;
        n = n * 10 + (uint32_t)(d[i] - '0');
    }
    if (d[7] != '\0')
        return T_OTHER;
    if (ims) {
        switch (n) {
        case 1000102: return T_OFFSET;
        case 1000103: return T_LENGTH;
        case 1000104: return T_ENCODED;
        case 1000141: return T_INT32;
        case 1000142: return T_INT64;
        default: return T_OTHER;
        }
    }
    switch (n) {
    case 1000514: return T_MZ;
    case 1000515: return T_INTENSITY;
    case 1000520: return T_FLOAT16;
    case 1000574: return T_ZLIB;
    case 1000521: return T_FLOAT32;
    case 1000523: return T_FLOAT64;
    case 1000519: return T_INT32;
    case 1000522: return T_INT64;
    /* MS-Numpress and its zlib variants, and the truncation/delta encodings */
    case 1002312: case 1002313: case 1002314: case 1002746: case 1002747: case 1002748:
    case 1003088: case 1003089: case 1003090: case 1003780: case 1003781: case 1003782:
    case 1003783: case 1003784: case 1003785: return T_NUMPRESS;
    default: return T_OTHER;
    }
}

/* Interprets the parameters of one <binaryDataArray>. */
static int finish_array(parse *p, omsi_error *err)
{
    const omsi_cv_params *a = &p->array;
    const omsi_cv_param *first[T_COUNT] = {0};
    for (size_t i = 0; i < a->count; i++) {
        array_term t = array_term_of(a->items[i].accession);
        if (!first[t])
            first[t] = &a->items[i];
    }
    bool is_mz = first[T_MZ] != NULL;
    if (!is_mz && !first[T_INTENSITY])
        return 0; /* other arrays (charge, noise): not part of the cube */
    int line = omsi_xml_line(p->x);
    imzml_array arr = {0};
    if (first[T_NUMPRESS])
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: line %d: compression %s is not supported",
                              p->path, line, first[T_NUMPRESS]->accession);
    if (first[T_FLOAT16])
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: line %d: 16-bit float arrays are not supported",
                              p->path, line);
    arr.zlib = first[T_ZLIB] != NULL;
    const omsi_cv_param *off = first[T_OFFSET], *len = first[T_LENGTH], *enc = first[T_ENCODED];
    if (!off || !len)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: %s array without external offset/length",
                              p->path, line, is_mz ? "m/z" : "intensity");
    if (parse_u64(off->value, &arr.offset) || parse_u64(len->value, &arr.length) ||
        (enc && parse_u64(enc->value, &arr.encoded)))
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: offset '%s' / length '%s' is not a non-negative integer",
                              p->path, line, off->value, len->value);
    bool f32 = first[T_FLOAT32], f64 = first[T_FLOAT64], i32 = first[T_INT32], i64 = first[T_INT64];
    int terms = f32 + f64 + i32 + i64;
    size_t stored = 0; /* bytes per value the stored size implies, 0 = unknown */
    if (!arr.zlib && arr.encoded && arr.length && arr.encoded % arr.length == 0)
        stored = (size_t)(arr.encoded / arr.length);
    if (terms == 1) {
        arr.type = f32 ? IMZ_F32 : f64 ? IMZ_F64 : i32 ? IMZ_I32 : IMZ_I64;
        if (stored && stored != imzml_type_size(arr.type))
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: line %d: declared %zu-byte values but %llu bytes hold %llu values",
                                  p->path, line, imzml_type_size(arr.type), (unsigned long long)arr.encoded,
                                  (unsigned long long)arr.length);
    } else if (stored == 4 || stored == 8) {
        /* Conflicting or missing type terms: the stored size decides, float preferred. */
        arr.type = stored == 4 ? (f32 || !i32 ? IMZ_F32 : IMZ_I32) : (f64 || !i64 ? IMZ_F64 : IMZ_I64);
    } else {
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: %s array has %s data type term",
                              p->path, line, is_mz ? "m/z" : "intensity", terms ? "more than one" : "no");
    }
    /* Bounds against the .ibd, 64-bit and overflow-checked. */
    uint64_t bytes, end;
    if (arr.zlib) {
        if (!arr.encoded)
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: zlib array without encoded length",
                                  p->path, line);
        bytes = arr.encoded;
    } else if (!omsi_mul_u64(arr.length, imzml_type_size(arr.type), &bytes)) {
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: array length %llu overflows", p->path, line,
                              (unsigned long long)arr.length);
    }
    if (arr.offset < 16 || !omsi_add_u64(arr.offset, bytes, &end) || end > p->ibd_size)
        return omsi_error_set(err, OMSI_ERR_FORMAT,
                              "%s: line %d: array at offset %llu + %llu bytes is outside the .ibd (%llu bytes)",
                              p->path, line, (unsigned long long)arr.offset, (unsigned long long)bytes,
                              (unsigned long long)p->ibd_size);
    /* Reading it costs the stored bytes, the inflated bytes and the values as
     * doubles for m/z and intensities: checked before anything is read. */
    uint64_t raw, values, need;
    if (!omsi_mul_u64(arr.length, imzml_type_size(arr.type), &raw) || !omsi_mul_u64(arr.length, 16, &values) ||
        !omsi_add_u64(raw, values, &need) || !omsi_add_u64(need, arr.zlib ? arr.encoded : 0, &need))
        need = UINT64_MAX;
    char what[96];
    snprintf(what, sizeof what, "line %d: spectrum %zu (%llu points)", line, p->ix->count + 1,
             (unsigned long long)arr.length);
    int rc = omsi_budget_check(p->memory_limit, need, p->path, what, err);
    if (rc)
        return rc;
    if (is_mz)
        p->current.mz = arr;
    else
        p->current.intensity = arr;
    return 0;
}

static int position(const omsi_cv_params *params, const char *accession, uint32_t *out)
{
    const omsi_cv_param *c = omsi_cv_find(params, accession);
    uint64_t v;
    if (!c || parse_u64(c->value, &v) || v < 1 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int finish_spectrum(parse *p, omsi_error *err)
{
    int line = omsi_xml_line(p->x);
    imzml_spectrum *s = &p->current;
    if (position(&p->spectrum, "IMS:1000050", &s->x) || position(&p->spectrum, "IMS:1000051", &s->y))
        return omsi_error_set(err, OMSI_ERR_FORMAT,
                              "%s: line %d: spectrum without valid positions (IMS:1000050/51, integers >= 1)",
                              p->path, line);
    if (s->mz.type == IMZ_NONE || s->intensity.type == IMZ_NONE)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: spectrum without m/z and intensity arrays",
                              p->path, line);
    if (s->mz.length != s->intensity.length)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: %llu m/z values but %llu intensities",
                              p->path, line, (unsigned long long)s->mz.length,
                              (unsigned long long)s->intensity.length);
    imzml_index *ix = p->ix;
    if (ix->count == ix->capacity) {
        size_t cap = ix->capacity ? 2 * ix->capacity : 256;
        imzml_spectrum *n = realloc(ix->spectra, cap * sizeof *n);
        if (!n)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory for the spectrum index", p->path);
        ix->spectra = n;
        ix->capacity = cap;
    }
    ix->spectra[ix->count++] = *s;
    return 0;
}

/* Header terms become metadata entries (key = term name, or accession). */
static void keep_terms(imzml_index *ix, const omsi_cv_params *params, omsi_meta_collection coll)
{
    for (size_t i = 0; i < params->count; i++) {
        const omsi_cv_param *c = &params->items[i];
        const char *key = c->name && c->name[0] ? c->name : c->accession;
        if (omsi_meta_find(&ix->metadata, key))
            continue;
        char *end;
        double number = strtod(c->value, &end);
        if (c->value[0] && *end == '\0')
            omsi_meta_float(&ix->metadata, coll, key, number, c->unit_accession, c->accession);
        else
            omsi_meta_text(&ix->metadata, coll, key, c->value[0] ? c->value : "true", c->unit_accession,
                           c->accession);
    }
}

/* The elements the index acts on, by local name. */
typedef enum element {
    EL_OTHER, EL_CV_PARAM, EL_PARAM_GROUP_REF, EL_BINARY_DATA_ARRAY, EL_SPECTRUM, EL_PARAM_GROUP_LIST,
    EL_FILE_CONTENT, EL_SCAN_SETTINGS, EL_INSTRUMENT, EL_SOFTWARE, EL_RUN
} element;

/* One lookup per node (the index of a large file has millions): the most
 * frequent names first, the first letter compared before the rest. */
static element element_of(const xmlChar *local_name)
{
    static const struct {
        const char *name;
        element kind;
    } known[] = {
        {"cvParam", EL_CV_PARAM},
        {"referenceableParamGroupRef", EL_PARAM_GROUP_REF},
        {"binaryDataArray", EL_BINARY_DATA_ARRAY},
        {"spectrum", EL_SPECTRUM},
        {"referenceableParamGroupList", EL_PARAM_GROUP_LIST},
        {"fileContent", EL_FILE_CONTENT},
        {"scanSettings", EL_SCAN_SETTINGS},
        {"instrumentConfiguration", EL_INSTRUMENT},
        {"software", EL_SOFTWARE},
        {"run", EL_RUN},
    };
    const char *name = (const char *)local_name;
    if (!name)
        return EL_OTHER;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (name[0] == known[i].name[0] && strcmp(name, known[i].name) == 0)
            return known[i].kind;
    return EL_OTHER;
}

static bool is_psi_mzml_root(omsi_xml *x)
{
    const xmlChar *ns = xmlTextReaderConstNamespaceUri(x->reader);
    return (omsi_xml_is_start(x, "mzML") || omsi_xml_is_start(x, "indexedmzML")) && ns &&
           strcmp((const char *)ns, "http://psi.hupo.org/ms/mzml") == 0;
}

/* A start tag; returns 1 where the header-only parse is done. */
static int on_start(parse *p, element el, bool header_only, omsi_error *err)
{
    omsi_xml *x = p->x;
    omsi_cv_params *dst;
    int rc = 0;
    switch (el) {
    case EL_CV_PARAM:
        dst = params_for(p);
        return dst ? omsi_cv_params_add_current(dst, x, err) : 0;
    case EL_PARAM_GROUP_REF: {
        dst = params_for(p);
        char *ref = dst ? omsi_xml_attr(x, "ref") : NULL;
        rc = dst && ref ? omsi_param_groups_resolve(&p->groups, ref, dst, p->path, err) : 0;
        free(ref);
        return rc;
    }
    case EL_BINARY_DATA_ARRAY:
        omsi_cv_params_clear(&p->array);
        p->at = IN_ARRAY;
        return 0;
    case EL_SPECTRUM:
        if (header_only) /* the header ends at <run>: spectra first mean it is missing or misspelled */
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: a spectrum before any <run> element", p->path,
                                  omsi_xml_line(x));
        memset(&p->current, 0, sizeof p->current);
        omsi_cv_params_clear(&p->spectrum);
        p->at = IN_SPECTRUM;
        return 0;
    case EL_PARAM_GROUP_LIST: return omsi_param_groups_read(&p->groups, x, err);
    case EL_FILE_CONTENT: p->at = IN_FILE_CONTENT; return 0;
    case EL_SCAN_SETTINGS: p->at = IN_SCAN_SETTINGS; return 0;
    case EL_INSTRUMENT: p->at = IN_INSTRUMENT; return 0;
    case EL_SOFTWARE: p->at = IN_SOFTWARE; return 0;
    case EL_RUN:
        set_header(p);
        return header_only ? 1 : 0;
    case EL_OTHER: return 0;
    }
    return 0;
}

static int on_end(parse *p, element el, omsi_error *err)
{
    int rc = 0;
    switch (el) {
    case EL_BINARY_DATA_ARRAY:
        rc = finish_array(p, err);
        p->at = IN_SPECTRUM;
        return rc;
    case EL_SPECTRUM:
        rc = finish_spectrum(p, err);
        p->at = IN_OTHER;
        return rc;
    case EL_FILE_CONTENT:
    case EL_SCAN_SETTINGS:
    case EL_INSTRUMENT:
    case EL_SOFTWARE: p->at = IN_OTHER; return 0;
    default: return 0;
    }
}

static int run_parse(parse *p, bool header_only, omsi_error *err)
{
    int rc;
    bool root_checked = false;
    while ((rc = omsi_xml_next(p->x, err)) == 1) {
        omsi_xml *x = p->x;
        int type = xmlTextReaderNodeType(x->reader);
        if (type != XML_READER_TYPE_ELEMENT && type != XML_READER_TYPE_END_ELEMENT)
            continue;
        if (type == XML_READER_TYPE_ELEMENT && !root_checked) {
            root_checked = true;
            if (!is_psi_mzml_root(x))
                return omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: root element is not PSI mzML", p->path);
        }
        element el = element_of(xmlTextReaderConstLocalName(x->reader));
        rc = type == XML_READER_TYPE_ELEMENT ? on_start(p, el, header_only, err) : on_end(p, el, err);
        if (rc < 0)
            return rc;
        if (rc == 1)
            return 0;
    }
    if (rc < 0)
        return rc;
    if (!root_checked)
        return omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: no XML root element", p->path);
    if (header_only)
        return omsi_error_set(err, OMSI_ERR_INCOMPLETE, "%s: no <run> element (file ends early?)", p->path);
    return 0;
}

static void parse_free(parse *p)
{
    omsi_xml_close(p->x);
    omsi_param_groups_free(&p->groups);
    omsi_cv_params *lists[] = {&p->header, &p->settings, &p->instrument, &p->software, &p->spectrum, &p->array};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        omsi_cv_params_free(lists[i]);
}

static int parse_init(parse *p, const char *path, imzml_index *ix, omsi_error *err)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    p->ix = ix;
    omsi_param_groups_init(&p->groups);
    omsi_cv_params *lists[] = {&p->header, &p->settings, &p->instrument, &p->software, &p->spectrum, &p->array};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        omsi_cv_params_init(lists[i]);
    return omsi_xml_open(path, &p->x, err);
}

int imzml_read_header(const char *path, imzml_header *out, omsi_error *err)
{
    imzml_index ix;
    memset(&ix, 0, sizeof ix);
    omsi_meta_init(&ix.metadata);
    parse p;
    int rc = parse_init(&p, path, &ix, err);
    if (!rc && (rc = run_parse(&p, true, err)) < 0)
        omsi_xml_prefer_parse_error(p.x, err);
    *out = ix.header;
    parse_free(&p);
    imzml_index_free(&ix);
    return rc;
}

int imzml_read_index(const char *path, uint64_t ibd_size, imzml_index *ix, omsi_error *err)
{
    return imzml_read_index_limited(path, ibd_size, 0, ix, err);
}

int imzml_read_index_limited(const char *path, uint64_t ibd_size, uint64_t memory_limit, imzml_index *ix,
                             omsi_error *err)
{
    memset(ix, 0, sizeof *ix);
    omsi_meta_init(&ix->metadata);
    parse p;
    int rc = parse_init(&p, path, ix, err);
    p.ibd_size = ibd_size;
    p.memory_limit = memory_limit;
    if (!rc && (rc = run_parse(&p, false, err)) < 0)
        omsi_xml_prefer_parse_error(p.x, err);
    if (!rc) {
        keep_terms(ix, &p.header, OMSI_COLL_DATASET);
        keep_terms(ix, &p.settings, OMSI_COLL_DATASET);
        keep_terms(ix, &p.instrument, OMSI_COLL_INSTRUMENT);
        keep_terms(ix, &p.software, OMSI_COLL_METHODS);
    }
    parse_free(&p);
    return rc;
}

/* ---- arrays ---- */

static double value_at(imzml_type t, const unsigned char *p)
{
    switch (t) {
    case IMZ_F32: return omsi_bits_to_f32(omsi_le32(p));
    case IMZ_F64: return omsi_bits_to_f64(omsi_le64(p));
    case IMZ_I32: return (double)(int32_t)omsi_le32(p);
    case IMZ_I64: return (double)(int64_t)omsi_le64(p);
    default: return 0;
    }
}

int imzml_read_array(int fd, const char *ibd_path, const imzml_array *a, double *out,
                     unsigned char **scratch, size_t *scratch_size, imzml_checksum *sum, omsi_error *err)
{
    size_t item = imzml_type_size(a->type);
    size_t raw = (size_t)(a->length * item);
    size_t stored = a->zlib ? (size_t)a->encoded : raw;
    size_t need = stored + (a->zlib ? raw : 0);
    if (!a->zlib && a->type == IMZ_F64 && omsi_host_is_little_endian()) {
        /* already doubles in host order (most m/z arrays): no copy */
        int rc = omsi_pread_exact(fd, out, raw, a->offset, ibd_path, err);
        return rc ? rc : imzml_checksum_feed(sum, fd, ibd_path, a->offset, (const unsigned char *)out, raw, err);
    }
    if (need > *scratch_size) {
        unsigned char *p = realloc(*scratch, need ? need : 1);
        if (!p)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory for a %zu-byte array", ibd_path, need);
        *scratch = p;
        *scratch_size = need;
    }
    int rc = omsi_pread_exact(fd, *scratch, stored, a->offset, ibd_path, err);
    if (!rc)
        rc = imzml_checksum_feed(sum, fd, ibd_path, a->offset, *scratch, stored, err);
    if (rc)
        return rc;
    const unsigned char *values = *scratch;
    if (a->zlib) {
        size_t got;
        zlib_array_result z = zlib_array_inflate(*scratch, stored, *scratch + stored, raw, &got);
        if (z == ZLIB_ARRAY_NOMEM)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory to inflate the array at offset %llu",
                                  ibd_path, (unsigned long long)a->offset);
        if (z != ZLIB_ARRAY_OK)
            return omsi_error_set(err, OMSI_ERR_FORMAT,
                                  "%s: zlib array at offset %llu does not inflate to %llu values (%s)", ibd_path,
                                  (unsigned long long)a->offset, (unsigned long long)a->length,
                                  zlib_array_problem(z));
        values = *scratch + stored;
    }
    /* one loop per type: no dispatch per value */
    uint64_t n = a->length;
    switch (a->type) {
    case IMZ_F32: for (uint64_t k = 0; k < n; k++) out[k] = omsi_bits_to_f32(omsi_le32(values + k * 4)); break;
    case IMZ_F64: for (uint64_t k = 0; k < n; k++) out[k] = omsi_bits_to_f64(omsi_le64(values + k * 8)); break;
    case IMZ_I32: for (uint64_t k = 0; k < n; k++) out[k] = (double)(int32_t)omsi_le32(values + k * 4); break;
    case IMZ_I64: for (uint64_t k = 0; k < n; k++) out[k] = (double)(int64_t)omsi_le64(values + k * 8); break;
    default: for (uint64_t k = 0; k < n; k++) out[k] = value_at(a->type, values + k * item); break;
    }
    return 0;
}
