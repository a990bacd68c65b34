#include "readers/mzml_parse.h"
#include "readers/numpress.h"
#include "readers/zlib_array.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written by hand: neither libxml2's reader nor zlib decode base64, and
 * OpenSSL's EVP decoder accepts input we want to reject. Accepted: the
 * alphabet with whitespace anywhere, then at most two '=' (whitespace
 * between them too), and no lone last character. */

/* The alphabet, once: X(character, value). */
#define B64_ALPHABET(X)                                                                                     \
    X('A', 0) X('B', 1) X('C', 2) X('D', 3) X('E', 4) X('F', 5) X('G', 6) X('H', 7) X('I', 8) X('J', 9)     \
    X('K', 10) X('L', 11) X('M', 12) X('N', 13) X('O', 14) X('P', 15) X('Q', 16) X('R', 17) X('S', 18)     \
    X('T', 19) X('U', 20) X('V', 21) X('W', 22) X('X', 23) X('Y', 24) X('Z', 25) X('a', 26) X('b', 27)     \
    X('c', 28) X('d', 29) X('e', 30) X('f', 31) X('g', 32) X('h', 33) X('i', 34) X('j', 35) X('k', 36)     \
    X('l', 37) X('m', 38) X('n', 39) X('o', 40) X('p', 41) X('q', 42) X('r', 43) X('s', 44) X('t', 45)     \
    X('u', 46) X('v', 47) X('w', 48) X('x', 49) X('y', 50) X('z', 51) X('0', 52) X('1', 53) X('2', 54)     \
    X('3', 55) X('4', 56) X('5', 57) X('6', 58) X('7', 59) X('8', 60) X('9', 61) X('+', 62) X('/', 63)

/* 1 + the value for the alphabet, 0 for everything else (whitespace, '='
 * and bad characters): entry - 1 is then 0..63, or has bits above 63 set. */
#define B64_ONE_PLUS(c, v) [(unsigned char)(c)] = (v) + 1,
static const unsigned char b64_table[256] = {B64_ALPHABET(B64_ONE_PLUS)};

/* The value of a character at each of a group's four places, already
 * shifted into the group's 24 bits, stored complemented so that the
 * entries left 0 (everything outside the alphabet) read as 0xFFFFFFFF:
 * ~(t0[a] & t1[b] & t2[c] & t3[d]) is the group's 24 bits, with the top
 * byte set when any of the four is not in the alphabet. */
#define B64_AT18(c, v) [(unsigned char)(c)] = ~((uint32_t)(v) << 18),
#define B64_AT12(c, v) [(unsigned char)(c)] = ~((uint32_t)(v) << 12),
#define B64_AT6(c, v) [(unsigned char)(c)] = ~((uint32_t)(v) << 6),
#define B64_AT0(c, v) [(unsigned char)(c)] = ~(uint32_t)(v),
static const uint32_t b64_at18[256] = {B64_ALPHABET(B64_AT18)}, b64_at12[256] = {B64_ALPHABET(B64_AT12)},
                      b64_at6[256] = {B64_ALPHABET(B64_AT6)}, b64_at0[256] = {B64_ALPHABET(B64_AT0)};

/* 16 characters to 12 bytes, no branch per character: false when one of
 * them is not in the alphabet, which the OR of the groups' top bytes shows
 * once per block (what was written is then overwritten). */
static inline bool b64_block(const unsigned char *s, unsigned char *out)
{
    uint32_t bad = 0;
    for (int g = 0; g < 4; g++) {
        uint32_t v = ~(b64_at18[s[4 * g]] & b64_at12[s[4 * g + 1]] & b64_at6[s[4 * g + 2]] & b64_at0[s[4 * g + 3]]);
        bad |= v;
        out[3 * g] = (unsigned char)(v >> 16);
        out[3 * g + 1] = (unsigned char)(v >> 8);
        out[3 * g + 2] = (unsigned char)v;
    }
    return bad >> 24 == 0;
}

int mzml_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char *buf = malloc(len / 4 * 3 + 3);
    if (!buf)
        return -2;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t i = 0;
    while (i < len) {
        /* whole blocks while aligned on a group; the block writes at most
         * (i + 16) / 4 * 3 <= len / 4 * 3 bytes */
        if (bits == 0 && !pad && len - i >= 16 && b64_block(s + i, buf + n)) {
            n += 12;
            i += 16;
            continue;
        }
        /* one character: whitespace, padding, the end of a line, or bad */
        unsigned char c = s[i++];
        uint32_t v = b64_table[c] - 1u;
        if (v >= 64) {
            if (c == '=') {
                pad++;
                continue;
            }
            if (isspace(c))
                continue;
        }
        if (v >= 64 || pad) { /* bad character, or data after padding */
            free(buf);
            return -1;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    if (pad > 2 || bits >= 6) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = n;
    return 0;
}

void mzml_spectrum_free(mzml_spectrum *s)
{
    free(s->mz.values);
    free(s->intensity.values);
    memset(s, 0, sizeof *s);
}

static int parser_open(mzml_parser *p, const char *path, uint64_t memory_limit, bool checksum, omsi_error *err)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    p->memory_limit = memory_limit;
    omsi_param_groups_init(&p->groups);
    omsi_cv_params_init(&p->file_content);
    omsi_cv_params_init(&p->instrument);
    uint64_t max_text = omsi_budget_limit(memory_limit);
    return checksum ? omsi_xml_open_huge_checksummed(path, max_text, &p->x, err)
                    : omsi_xml_open_huge(path, max_text, &p->x, err);
}

int mzml_parser_open(mzml_parser *p, const char *path, uint64_t memory_limit, omsi_error *err)
{
    return parser_open(p, path, memory_limit, false, err);
}

int mzml_parser_open_checksummed(mzml_parser *p, const char *path, uint64_t memory_limit, omsi_error *err)
{
    return parser_open(p, path, memory_limit, true, err);
}

void mzml_parser_close(mzml_parser *p)
{
    omsi_xml_close(p->x);
    omsi_param_groups_free(&p->groups);
    omsi_cv_params_free(&p->file_content);
    omsi_cv_params_free(&p->instrument);
    memset(p, 0, sizeof *p);
}

/* Numpress with truncation (MS:1003088-90), Numpress with zstd and the
 * other newer codecs: refused. */
static const char *const unsupported_compressions[] = {
    "MS:1003088", "MS:1003089", "MS:1003090", "MS:1003780", "MS:1003781", "MS:1003782", "MS:1003783",
    "MS:1003784", "MS:1003785", NULL};


/* What one spectrum of `points` values costs us: m/z and intensities as
 * doubles (16 bytes a point), the decoded and inflated bytes of one array
 * (up to 16 more), plus the base64 text libxml2 holds (encoded bytes). */
static int check_spectrum_budget(const mzml_parser *p, const mzml_spectrum *s, uint64_t points, uint64_t encoded,
                                 omsi_error *err)
{
    uint64_t bytes;
    char what[600];
    snprintf(what, sizeof what, "spectrum %s (%llu points)", s->id, (unsigned long long)points);
    if (!omsi_mul_u64(points, 32, &bytes) || !omsi_add_u64(bytes, encoded, &bytes))
        bytes = UINT64_MAX;
    return omsi_budget_check(p->memory_limit, bytes, p->path, what, err);
}

/* MS-Numpress alone (MS:1002312-14) or followed by zlib (MS:1002746-48, or
 * the plain term with MS:1000574): the codec, or -1 when none. */
static int numpress_of(const omsi_cv_params *params, bool *zlib)
{
    static const char *const plain[] = {"MS:1002312", "MS:1002313", "MS:1002314"};
    static const char *const with_zlib[] = {"MS:1002746", "MS:1002747", "MS:1002748"};
    for (int c = 0; c < 3; c++) {
        if (omsi_cv_find(params, with_zlib[c])) {
            *zlib = true;
            return c;
        }
        if (omsi_cv_find(params, plain[c]))
            return c;
    }
    return -1;
}

/* A numpress array: inflated first when zlib follows numpress, then
 * decoded; the count must be the declared length. */
static int decode_numpress(mzml_parser *p, const mzml_spectrum *s, bool is_mz, numpress_codec codec, bool zlib,
                           const unsigned char *raw, size_t raw_len, uint64_t length, bool float64, mzml_array *a,
                           omsi_error *err)
{
    static const char *const names[] = {"linear (MS:1002312)", "pic (MS:1002313)", "slof (MS:1002314)"};
    const char *what = is_mz ? "m/z" : "intensity";
    unsigned char *inflated = NULL;
    const unsigned char *data = raw;
    size_t data_len = raw_len;
    int rc = 0;
    if (length > ((uint64_t)1 << 31))
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: array length %llu is too large", p->path,
                              s->id, (unsigned long long)length);
    if (zlib) { /* the declared values bound the numpress bytes */
        size_t bound = numpress_encode_bound(codec, (size_t)length), got = 0;
        if ((rc = check_spectrum_budget(p, s, length, bound, err)))
            return rc;
        inflated = malloc(bound ? bound : 1);
        zlib_array_result z = inflated ? zlib_array_inflate(raw, raw_len, inflated, bound, &got) : ZLIB_ARRAY_NOMEM;
        if (z != ZLIB_ARRAY_OK && z != ZLIB_ARRAY_SHORT) {
            rc = z == ZLIB_ARRAY_NOMEM ? omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", p->path)
                                       : omsi_error_set(err, OMSI_ERR_FORMAT,
                                                        "%s: spectrum %s: zlib data of the numpress %s array %s",
                                                        p->path, s->id, what, zlib_array_problem(z));
            goto done;
        }
        data = inflated;
        data_len = got;
    }
    size_t cap = numpress_decode_bound(codec, data_len), got = 0;
    if (cap < length) {
        rc = omsi_error_set(err, OMSI_ERR_FORMAT,
                            "%s: spectrum %s: %zu bytes of numpress %s hold at most %zu values, %llu declared", p->path,
                            s->id, data_len, names[codec], cap, (unsigned long long)length);
        goto done;
    }
    if ((rc = check_spectrum_budget(p, s, cap, data_len, err)))
        goto done;
    if (cap > a->capacity) {
        double *v = realloc(a->values, (cap ? cap : 1) * sizeof *v);
        if (!v) {
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            goto done;
        }
        a->values = v;
        a->capacity = cap;
    }
    if (numpress_decode(codec, data, data_len, a->values, &got) != 0)
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: the numpress %s data of the %s array is corrupt",
                            p->path, s->id, names[codec], what);
    else if (got != length)
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: numpress %s decoded %zu %s values, %llu declared",
                            p->path, s->id, names[codec], got, what, (unsigned long long)length);
    if (!rc) {
        a->count = (size_t)length;
        a->float64 = float64;
    }
done:
    free(inflated);
    return rc;
}

/* Decodes one <binaryDataArray>'s text into a (if it is m/z or intensity). */
static int decode_array(mzml_parser *p, const omsi_cv_params *params, const char *text, size_t len,
                        uint64_t length, mzml_spectrum *s, omsi_error *err)
{
    bool is_mz = omsi_cv_find(params, "MS:1000514") != NULL;
    bool is_int = omsi_cv_find(params, "MS:1000515") != NULL;
    if (!is_mz && !is_int)
        return 0;
    const omsi_cv_param *c = omsi_cv_find_any(params, unsupported_compressions);
    if (c)
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: spectrum %s: compression %s is not supported",
                              p->path, s->id, c->accession);
    bool zlib = omsi_cv_find(params, "MS:1000574") != NULL;
    int numpress = numpress_of(params, &zlib);
    size_t item;
    int kind; /* 0 f32, 1 f64, 2 i32, 3 i64 */
    if (omsi_cv_find(params, "MS:1000521")) kind = 0, item = 4;
    else if (omsi_cv_find(params, "MS:1000523")) kind = 1, item = 8;
    else if (omsi_cv_find(params, "MS:1000519")) kind = 2, item = 4;
    else if (omsi_cv_find(params, "MS:1000522")) kind = 3, item = 8;
    else if (numpress >= 0) kind = 1, item = 8; /* numpress decodes to doubles */
    else
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: %s array without a data type term",
                              p->path, s->id, is_mz ? "m/z" : "intensity");
    unsigned char *raw = NULL, *inflated = NULL;
    size_t raw_len = 0;
    /* the text as libxml2 holds it decides the decode buffers: check both */
    int rc = check_spectrum_budget(p, s, length > len / 4 * 3 / item ? length : len / 4 * 3 / item, len, err);
    if (rc)
        return rc;
    rc = mzml_base64_decode(text, len, &raw, &raw_len);
    if (rc)
        return rc == -2 ? omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory")
                        : omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: invalid base64 in the %s array",
                                         p->path, s->id, is_mz ? "m/z" : "intensity");
    if (numpress >= 0) {
        rc = decode_numpress(p, s, is_mz, (numpress_codec)numpress, zlib, raw, raw_len, length, item == 8,
                             is_mz ? &s->mz : &s->intensity, err);
        free(raw);
        return rc;
    }
    uint64_t want;
    if (!omsi_mul_u64(length, item, &want) || want > ((uint64_t)1 << 34)) {
        free(raw);
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: array length %llu is too large", p->path,
                              s->id, (unsigned long long)length);
    }
    const unsigned char *data = raw;
    size_t data_len = raw_len;
    if (zlib) {
        /* the declared length sizes the buffer: data that inflates to more
         * stops at its end (libdeflate) */
        inflated = malloc(want ? (size_t)want : 1);
        size_t got = 0;
        zlib_array_result z = inflated ? zlib_array_inflate(raw, raw_len, inflated, (size_t)want, &got) : ZLIB_ARRAY_NOMEM;
        if (z != ZLIB_ARRAY_OK) {
            free(raw);
            free(inflated);
            if (z == ZLIB_ARRAY_NOMEM)
                return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: spectrum %s: out of memory to inflate the %s array",
                                      p->path, s->id, is_mz ? "m/z" : "intensity");
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: zlib data of the %s array %s (%llu values "
                                  "declared: %llu bytes)", p->path, s->id, is_mz ? "m/z" : "intensity",
                                  zlib_array_problem(z), (unsigned long long)length, (unsigned long long)want);
        }
        data = inflated;
        data_len = got;
    }
    if (data_len != want) {
        free(raw);
        free(inflated);
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: %zu bytes decoded, %llu values need %llu",
                              p->path, s->id, data_len, (unsigned long long)length, (unsigned long long)want);
    }
    mzml_array *a = is_mz ? &s->mz : &s->intensity;
    if (length > a->capacity) {
        double *v = realloc(a->values, (size_t)length * sizeof *v);
        if (!v) {
            free(raw);
            free(inflated);
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        }
        a->values = v;
        a->capacity = (size_t)length;
    }
    /* one loop per type: no dispatch per value */
    double *v = a->values;
    switch (kind) {
    case 0: for (uint64_t k = 0; k < length; k++) v[k] = omsi_bits_to_f32(omsi_le32(data + k * 4)); break;
    case 1: for (uint64_t k = 0; k < length; k++) v[k] = omsi_bits_to_f64(omsi_le64(data + k * 8)); break;
    case 2: for (uint64_t k = 0; k < length; k++) v[k] = (double)(int32_t)omsi_le32(data + k * 4); break;
    default: for (uint64_t k = 0; k < length; k++) v[k] = (double)(int64_t)omsi_le64(data + k * 8); break;
    }
    a->count = (size_t)length;
    a->float64 = item == 8;
    free(raw);
    free(inflated);
    return 0;
}

/* "x,y" from the text after the last comma of spotID: "A1,42x42,4242x4242". */
static bool spot_position(const char *spot, int64_t *x, int64_t *y)
{
    const char *p = strrchr(spot, ',');
    p = p ? p + 1 : spot;
    char *end;
    long long a = strtoll(p, &end, 10);
    if (end == p || *end != 'x')
        return false;
    const char *q = end + 1;
    long long b = strtoll(q, &end, 10);
    if (end == q || *end || a < 0 || b < 0)
        return false;
    *x = a;
    *y = b;
    return true;
}

/* R<r>X<x>Y<y> anywhere in a native id (Bruker FID file names). */
static bool bruker_position(const char *id, int64_t *r, int64_t *x, int64_t *y)
{
    for (const char *p = strchr(id, 'R'); p; p = strchr(p + 1, 'R')) {
        char *end;
        if (!isdigit((unsigned char)p[1]))
            continue;
        long long a = strtoll(p + 1, &end, 10);
        if (*end != 'X' || !isdigit((unsigned char)end[1]))
            continue;
        long long b = strtoll(end + 1, &end, 10);
        if (*end != 'Y' || !isdigit((unsigned char)end[1]))
            continue;
        long long c = strtoll(end + 1, &end, 10);
        *r = a;
        *x = b;
        *y = c;
        return true;
    }
    return false;
}

static const char *const activation_terms[][2] = {
    {"MS:1000133", "cid"}, {"MS:1000422", "hcd"}, {"MS:1000598", "etd"},
    {"MS:1000250", "ecd"}, {"MS:1000262", "irmpd"}, {"MS:1000435", "mpd"},
};

/* Fills the spectrum's parameters from its collected cvParams. */
static void interpret(mzml_spectrum *s, const omsi_cv_params *sp, const omsi_cv_params *prec)
{
    const omsi_cv_param *c;
    s->ms_level = (c = omsi_cv_find(sp, "MS:1000511")) ? atoi(c->value) : 1;
    if (s->ms_level < 1)
        s->ms_level = 1;
    s->polarity = omsi_cv_find(sp, "MS:1000130") ? 1 : omsi_cv_find(sp, "MS:1000129") ? -1 : 0;
    s->representation = omsi_cv_find(sp, "MS:1000127") ? 1 : omsi_cv_find(sp, "MS:1000128") ? 2 : 0;
    if ((c = omsi_cv_find(sp, "MS:1000512")))
        snprintf(s->filter, sizeof s->filter, "%s", c->value);
    if ((c = omsi_cv_find(prec, "MS:1000744")))
        s->precursor_mz = atof(c->value);
    if ((c = omsi_cv_find(prec, "MS:1000045")))
        s->activation_energy = atof(c->value);
    for (size_t i = 0; i < sizeof activation_terms / sizeof activation_terms[0]; i++)
        if (omsi_cv_find(prec, activation_terms[i][0]))
            snprintf(s->activation, sizeof s->activation, "%s", activation_terms[i][1]);
    const omsi_cv_param *px = omsi_cv_find(sp, "IMS:1000050"), *py = omsi_cv_find(sp, "IMS:1000051");
    if (px && py) {
        s->x = atoll(px->value);
        s->y = atoll(py->value);
        s->has_position = s->x >= 0 && s->y >= 0;
    }
}

int mzml_next_spectrum(mzml_parser *p, mzml_spectrum *s, bool want_arrays, omsi_error *err)
{
    omsi_xml *x = p->x;
    /* keep the array buffers, reset everything else */
    mzml_array mz = s->mz, in = s->intensity;
    memset(s, 0, sizeof *s);
    s->mz = mz;
    s->intensity = in;
    s->mz.count = s->intensity.count = 0;
    s->region = -1;
    omsi_cv_params sp, arr, prec;
    omsi_cv_params_init(&sp);
    omsi_cv_params_init(&arr);
    omsi_cv_params_init(&prec);
    enum { OUTSIDE, SPECTRUM, ARRAY, PRECURSOR, FILE_CONTENT, INSTRUMENT } at = OUTSIDE;
    bool in_spectrum = false, done = false;
    uint64_t array_length = 0;
    int rc = 1;
    while (!done && (rc = omsi_xml_next(x, err)) == 1) {
        if (!in_spectrum) {
            if (omsi_xml_is_start(x, "referenceableParamGroupList")) {
                if ((rc = omsi_param_groups_read(&p->groups, x, err)))
                    break;
            } else if (omsi_xml_is_start(x, "fileContent")) {
                at = FILE_CONTENT;
            } else if (omsi_xml_is_end(x, "fileContent")) {
                at = OUTSIDE;
            } else if (omsi_xml_is_start(x, "instrumentConfiguration")) {
                at = INSTRUMENT;
            } else if (omsi_xml_is_end(x, "instrumentConfiguration")) {
                at = OUTSIDE;
            } else if (omsi_xml_is_start(x, "cvParam") && (at == FILE_CONTENT || at == INSTRUMENT)) {
                if ((rc = omsi_cv_params_add_current(at == FILE_CONTENT ? &p->file_content : &p->instrument, x, err)))
                    break;
            } else if (omsi_xml_is_start(x, "chromatogramList")) {
                if ((rc = omsi_xml_skip(x, err)))
                    break;
            } else if (omsi_xml_is_start(x, "spectrum")) {
                in_spectrum = true;
                at = SPECTRUM;
                char *id = omsi_xml_attr(x, "id"), *spot = omsi_xml_attr(x, "spotID"),
                     *len = omsi_xml_attr(x, "defaultArrayLength");
                snprintf(s->id, sizeof s->id, "%s", id ? id : "?");
                s->default_length = len ? strtoull(len, NULL, 10) : 0;
                rc = check_spectrum_budget(p, s, s->default_length, 0, err);
                if (spot && spot_position(spot, &s->x, &s->y))
                    s->has_position = true;
                else if (id && bruker_position(id, &s->region, &s->x, &s->y))
                    s->has_position = true;
                free(id);
                free(spot);
                free(len);
                if (rc)
                    break;
                if (omsi_xml_is_empty(x))
                    done = true;
            }
            continue;
        }
        if (omsi_xml_is_end(x, "spectrum")) {
            done = true;
        } else if (omsi_xml_is_start(x, "precursor")) {
            at = PRECURSOR;
        } else if (omsi_xml_is_end(x, "precursor")) {
            at = SPECTRUM;
        } else if (omsi_xml_is_start(x, "binaryDataArray")) {
            at = ARRAY;
            omsi_cv_params_clear(&arr);
            char *al = omsi_xml_attr(x, "arrayLength"), *el = omsi_xml_attr(x, "encodedLength");
            array_length = al ? strtoull(al, NULL, 10) : s->default_length;
            uint64_t encoded = el ? strtoull(el, NULL, 10) : 0;
            free(al);
            free(el);
            if ((rc = check_spectrum_budget(p, s, array_length, encoded, err)))
                break;
        } else if (omsi_xml_is_end(x, "binaryDataArray")) {
            at = SPECTRUM;
        } else if (omsi_xml_is_start(x, "cvParam") || omsi_xml_is_start(x, "referenceableParamGroupRef")) {
            omsi_cv_params *dst = at == ARRAY ? &arr : at == PRECURSOR ? &prec : &sp;
            if (omsi_xml_is_start(x, "cvParam")) {
                rc = omsi_cv_params_add_current(dst, x, err);
            } else {
                char *ref = omsi_xml_attr(x, "ref");
                rc = ref ? omsi_param_groups_resolve(&p->groups, ref, dst, p->path, err) : 0;
                free(ref);
            }
            if (rc)
                break;
        } else if (omsi_xml_is_start(x, "binary") && at == ARRAY) {
            const char *text = "";
            size_t text_len = 0;
            if (!omsi_xml_is_empty(x)) {
                if ((rc = omsi_xml_next(x, err)) != 1)
                    break;
                if (want_arrays && xmlTextReaderNodeType(x->reader) == XML_READER_TYPE_TEXT &&
                    (rc = omsi_xml_text(x, &text, &text_len, err)) != 0)
                    break;
            }
            if (want_arrays && (rc = decode_array(p, &arr, text, text_len, array_length, s, err)))
                break;
            if (!want_arrays && omsi_cv_find(&arr, "MS:1000514"))
                s->mz.count = (size_t)array_length;
        }
    }
    if (rc < 0 || (rc == 1 && !done)) {
        omsi_cv_params_free(&sp);
        omsi_cv_params_free(&arr);
        omsi_cv_params_free(&prec);
        return rc < 0 ? rc : omsi_error_set(err, OMSI_ERR_FORMAT, "%s: parse stopped", p->path);
    }
    if (rc == 0 && !in_spectrum) {
        omsi_cv_params_free(&sp);
        omsi_cv_params_free(&arr);
        omsi_cv_params_free(&prec);
        return 0;
    }
    if (rc == 0 && !done) {
        omsi_cv_params_free(&sp);
        omsi_cv_params_free(&arr);
        omsi_cv_params_free(&prec);
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: file ends inside spectrum %s", p->path, s->id);
    }
    interpret(s, &sp, &prec);
    if (want_arrays && s->mz.count != s->intensity.count)
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: spectrum %s: %zu m/z values but %zu intensities", p->path,
                            s->id, s->mz.count, s->intensity.count);
    else
        rc = 1;
    p->spectra_seen++;
    omsi_cv_params_free(&sp);
    omsi_cv_params_free(&arr);
    omsi_cv_params_free(&prec);
    return rc;
}
