/* The argument parser of `omsi-catalog query`, written without getopt so it
 * keeps no global state and can be fuzzed. */
#include "catalog/query.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Whether the broken-down time tm names a real instant: strptime takes day
 * 31 in any month and second 60, and timegm would silently move such a
 * date to the next month or minute. */
static bool real_time(const struct tm *tm, time_t t)
{
    struct tm back;
    return gmtime_r(&t, &back) && back.tm_year == tm->tm_year && back.tm_mon == tm->tm_mon &&
           back.tm_mday == tm->tm_mday && back.tm_hour == tm->tm_hour && back.tm_min == tm->tm_min &&
           back.tm_sec == tm->tm_sec;
}

int omsi_query_parse_time(const char *text, double *out)
{
    char *end;
    errno = 0;
    double seconds = strtod(text, &end);
    if (end != text && *end == '\0' && errno == 0 && isfinite(seconds) && strchr(text, '-') == NULL) {
        *out = seconds;
        return 0;
    }
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                                          "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *rest = strptime(text, formats[i], &tm);
        if (rest && *rest == '\0') {
            struct tm asked = tm; /* timegm normalizes tm in place */
            time_t t = timegm(&tm);
            if (!real_time(&asked, t))
                return -2;
            *out = (double)t;
            return 0;
        }
    }
    return -1;
}

static int parse_number(const char *opt, const char *text, double min, double *out, omsi_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(v) || v < min)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: '%s' is not a number >= %g", opt, text, min);
    *out = v;
    return 0;
}

static int parse_count(const char *opt, const char *text, int64_t *out, omsi_error *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno || v < 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: '%s' is not a count", opt, text);
    *out = v;
    return 0;
}

/* Whether text holds a letter or digit (any non-ASCII byte may be one): the
 * full-text index has no token for blanks or punctuation alone. */
static bool has_word(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || *p >= 0x80)
            return true;
    return false;
}

static const char *const job_states[] = {"pending", "running", "done", "failed", "quarantined"};

const char *const omsi_query_sort_names[OMSI_SORT_COUNT_] = {
    "ingested", "source", "dataset", "path", "format", "name",
    "mz_min", "mz_max", "spectra", "pixels", "intensity", "version",
};

const char omsi_query_format_list[] = "img, imzml, mzml, bruckerflex";

const char *omsi_query_format_name(const char *name)
{
    static const char *const names[] = {"img", "imzml", "mzml", "bruckerflex"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return names[i];
    /* omsi-gen's (and the correct) spelling; BASTet's is "bruckerflex". */
    if (strcmp(name, "brukerflex") == 0 || strcmp(name, "bruker_flex") == 0)
        return "bruckerflex";
    return NULL;
}

/* The options, as getopt_long would take them. getopt_long itself is not
 * used: it keeps its position in globals (optind, optarg, its scan state)
 * and permutes argv, and this parser must be pure (it is fuzzed, and
 * omsi_query_parse_line parses config lines with it). Its conventions are
 * kept: --opt VALUE, --opt=VALUE, an unambiguous prefix of a long name, -h,
 * "--" ends the options, and a flag given a value is an error. */
typedef enum opt_id {
    O_HELP, O_JSON, O_CSV, O_NDJSON, O_COUNT, O_ALL_VERSIONS, O_FORMAT, O_INSTRUMENT, O_TEXT, O_STATE,
    O_SINCE, O_UNTIL, O_MZ, O_PEAK, O_MIN_INTENSITY, O_MIN_COVERAGE, O_PPM, O_MIN_PIXELS, O_MIN_SPECTRA,
    O_LIMIT, O_OFFSET, O_META, O_SORT, O_COLUMNS,
} opt_id;

static const struct {
    const char *name;
    bool has_value;
    opt_id id;
} options[] = {
    {"help", false, O_HELP},         {"json", false, O_JSON},
    {"csv", false, O_CSV},           {"ndjson", false, O_NDJSON},
    {"count", false, O_COUNT},       {"all-versions", false, O_ALL_VERSIONS},
    {"format", true, O_FORMAT},      {"instrument", true, O_INSTRUMENT},
    {"text", true, O_TEXT},          {"state", true, O_STATE},
    {"since", true, O_SINCE},        {"until", true, O_UNTIL},
    {"mz", true, O_MZ},              {"peak", true, O_PEAK},
    {"min-intensity", true, O_MIN_INTENSITY}, {"min-coverage", true, O_MIN_COVERAGE},
    {"ppm", true, O_PPM},            {"min-pixels", true, O_MIN_PIXELS},
    {"min-spectra", true, O_MIN_SPECTRA}, {"limit", true, O_LIMIT},
    {"offset", true, O_OFFSET},      {"meta", true, O_META},
    {"sort", true, O_SORT},          {"columns", true, O_COLUMNS},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };

/* The option named by "--NAME" (len bytes of name): exact, else the only
 * one it is a prefix of. -1 unknown, -2 ambiguous. */
static int find_option(const char *name, size_t len)
{
    int found = -1;
    for (int i = 0; i < N_OPTIONS; i++) {
        if (strncmp(options[i].name, name, len) != 0)
            continue;
        if (options[i].name[len] == '\0')
            return i;
        found = found == -1 ? i : -2;
    }
    return found;
}

/* "FIELD[,-FIELD...]" */
static int parse_sort(const char *value, omsi_query *q, omsi_error *err)
{
    const char *p = value;
    q->n_sort = 0;
    for (;;) {
        bool desc = *p == '-';
        if (desc || *p == '+')
            p++;
        size_t n = strcspn(p, ",");
        int field = -1;
        for (int f = 0; f < OMSI_SORT_COUNT_; f++)
            if (strlen(omsi_query_sort_names[f]) == n && strncmp(p, omsi_query_sort_names[f], n) == 0)
                field = f;
        if (field < 0)
            return omsi_error_set(err, OMSI_ERR_USAGE,
                                  "--sort: '%.*s' is not a field (ingested, source, dataset, path, format, "
                                  "name, mz_min, mz_max, spectra, pixels, intensity, version; '-' before one "
                                  "sorts it descending)", (int)(n > 40 ? 40 : n), p);
        if (q->n_sort == OMSI_QUERY_MAX_SORT)
            return omsi_error_set(err, OMSI_ERR_USAGE, "--sort: at most %d fields", OMSI_QUERY_MAX_SORT);
        q->sort[q->n_sort].field = (omsi_sort_field)field;
        q->sort[q->n_sort++].descending = desc;
        p += n;
        if (!*p)
            return 0;
        p++;
    }
}

static int parse_value(opt_id id, const char *name, const char *value, omsi_query *q, omsi_error *err)
{
    switch (id) {
    case O_FORMAT: {
        const char *format = omsi_query_format_name(value);
        if (!format)
            return omsi_error_set(err, OMSI_ERR_USAGE, "--format: unknown format '%s' (formats: %s)", value,
                                  omsi_query_format_list);
        /* Repeated: any of them (the same one twice counts once). */
        for (size_t i = 0; i < q->n_formats; i++)
            if (q->formats[i] == format)
                return 0;
        if (q->n_formats == OMSI_QUERY_MAX_FORMATS)
            return omsi_error_set(err, OMSI_ERR_USAGE, "--format: at most %d formats", OMSI_QUERY_MAX_FORMATS);
        q->formats[q->n_formats++] = format;
        return 0;
    }
    case O_INSTRUMENT: q->instrument = value; return 0;
    case O_TEXT:
        if (!has_word(value))
            return omsi_error_set(err, OMSI_ERR_USAGE,
                                  "--text: '%s' has no words to search for (letters or digits)", value);
        q->text = value;
        return 0;
    case O_STATE: {
        bool known = false;
        for (size_t k = 0; k < sizeof job_states / sizeof job_states[0]; k++)
            known |= strcmp(value, job_states[k]) == 0;
        if (!known)
            return omsi_error_set(err, OMSI_ERR_USAGE,
                                  "--state: '%s' is not pending, running, done, failed or quarantined", value);
        q->state = value;
        return 0;
    }
    case O_SINCE:
    case O_UNTIL: {
        double t;
        int bad = omsi_query_parse_time(value, &t);
        if (bad == -2)
            return omsi_error_set(err, OMSI_ERR_USAGE,
                                  "%s: '%s' is not a date that exists (day of month or hour, "
                                  "minute, second out of range)", name, value);
        if (bad)
            return omsi_error_set(err, OMSI_ERR_USAGE,
                                  "%s: '%s' is not a date (YYYY-MM-DD[THH:MM:SS], UTC) or unix time", name, value);
        if (id == O_SINCE) { q->since = t; q->has_since = true; }
        else { q->until = t; q->has_until = true; }
        return 0;
    }
    case O_MZ: q->has_mz = true; return parse_number(name, value, 0, &q->mz, err);
    case O_PEAK: q->has_peak = true; return parse_number(name, value, 0, &q->peak, err);
    case O_MIN_INTENSITY: return parse_number(name, value, 0, &q->min_intensity, err);
    case O_MIN_COVERAGE: {
        int rc = parse_number(name, value, 0, &q->min_coverage, err);
        if (!rc && q->min_coverage > 1)
            return omsi_error_set(err, OMSI_ERR_USAGE, "--min-coverage: %g is not a fraction (0..1)",
                                  q->min_coverage);
        return rc;
    }
    case O_PPM: return parse_number(name, value, 0, &q->ppm, err);
    case O_MIN_PIXELS: return parse_count(name, value, &q->min_pixels, err);
    case O_MIN_SPECTRA: return parse_count(name, value, &q->min_spectra, err);
    case O_LIMIT: return parse_count(name, value, &q->limit, err);
    case O_OFFSET: return parse_count(name, value, &q->offset, err);
    case O_META: {
        if (q->n_meta == OMSI_QUERY_MAX_META)
            return omsi_error_set(err, OMSI_ERR_USAGE, "--meta: at most %d filters", OMSI_QUERY_MAX_META);
        const char *sep = strpbrk(value, "=~");
        if (!sep || sep == value)
            return omsi_error_set(err, OMSI_ERR_USAGE, "--meta: '%s' is not KEY=VALUE or KEY~TEXT", value);
        omsi_meta_filter *m = &q->meta[q->n_meta++];
        m->key = value; /* the key ends at sep: the query takes its length from m->value */
        m->substring = *sep == '~';
        m->value = sep + 1;
        return 0;
    }
    case O_SORT: return parse_sort(value, q, err);
    case O_COLUMNS:
        if (!*value)
            return omsi_error_set(err, OMSI_ERR_USAGE, "--columns: empty list");
        q->columns = value;
        return 0;
    default: return 0;
    }
}

/* Sets the output form; a second, different one is a usage error (the last
 * silently winning hid mistakes). */
static int set_output(omsi_query *q, omsi_query_output out, const char *name, const char **given,
                      omsi_error *err)
{
    if (*given && q->output != out)
        return omsi_error_set(err, OMSI_ERR_USAGE, "--%s and --%s conflict: choose one output form", *given,
                              name);
    q->output = out;
    *given = name;
    return 0;
}

int omsi_query_parse(int argc, char *const *argv, omsi_query *q, bool *help, omsi_error *err)
{
    memset(q, 0, sizeof *q);
    q->limit = 100;
    q->ppm = 10;
    *help = false;
    const char *output_given = NULL;
    bool options_end = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0) {
            *help = true;
            return 0;
        }
        if (!options_end && strcmp(arg, "--") == 0) {
            options_end = true;
            continue;
        }
        if (options_end || strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
            return omsi_error_set(err, OMSI_ERR_USAGE, "unexpected argument '%s'", arg);
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        int k = find_option(arg + 2, len);
        if (k == -2)
            return omsi_error_set(err, OMSI_ERR_USAGE, "option '%.*s' is ambiguous", (int)(len > 40 ? 40 : len) + 2,
                                  arg);
        if (k < 0)
            return omsi_error_set(err, OMSI_ERR_USAGE, "unknown option '%.*s' (see omsi-catalog query --help)",
                                  (int)(len > 40 ? 40 : len) + 2, arg);
        char name[32];
        snprintf(name, sizeof name, "--%s", options[k].name);
        if (!options[k].has_value) {
            if (eq)
                return omsi_error_set(err, OMSI_ERR_USAGE, "%s takes no value", name);
            int rc = 0;
            switch (options[k].id) {
            case O_HELP: *help = true; return 0;
            case O_JSON: rc = set_output(q, OMSI_OUT_JSON, "json", &output_given, err); break;
            case O_CSV: rc = set_output(q, OMSI_OUT_CSV, "csv", &output_given, err); break;
            case O_NDJSON: rc = set_output(q, OMSI_OUT_NDJSON, "ndjson", &output_given, err); break;
            case O_COUNT: q->count = true; break;
            case O_ALL_VERSIONS: q->all_versions = true; break;
            default: break;
            }
            if (rc)
                return rc;
            continue;
        }
        const char *value;
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return omsi_error_set(err, OMSI_ERR_USAGE, "%s needs a value", name);
        int rc = parse_value(options[k].id, name, value, q, err);
        if (rc)
            return rc;
    }
    if (q->ppm > 1e6)
        return omsi_error_set(err, OMSI_ERR_USAGE, "--ppm: %g is more than 1e6", q->ppm);
    if (!q->has_peak && (q->min_intensity > 0 || q->min_coverage > 0))
        return omsi_error_set(err, OMSI_ERR_USAGE, "--min-intensity and --min-coverage need --peak MZ");
    if (q->count && (q->output == OMSI_OUT_CSV || q->output == OMSI_OUT_NDJSON || q->columns || q->n_sort))
        return omsi_error_set(err, OMSI_ERR_USAGE, "--count prints one number (or {\"count\": N} with --json): "
                              "it takes no --csv, --ndjson, --columns or --sort");
    if (q->state && q->n_sort)
        return omsi_error_set(err, OMSI_ERR_USAGE, "--sort orders datasets; jobs (--state) are listed newest first");
    return 0;
}

int omsi_query_parse_line(char *line, omsi_query *q, bool *help, omsi_error *err)
{
    enum { MAX_WORDS = 64 };
    char *argv[MAX_WORDS + 1];
    int argc = 0;
    argv[argc++] = (char *)"query";
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            *p++ = '\0';
        if (!*p)
            break;
        if (argc == MAX_WORDS + 1) {
            memset(q, 0, sizeof *q);
            *help = false;
            return omsi_error_set(err, OMSI_ERR_USAGE, "more than %d words in a query", MAX_WORDS);
        }
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
    }
    return omsi_query_parse(argc, argv, q, help, err);
}
